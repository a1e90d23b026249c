#!/usr/bin/env node
// The package's `conveyour-stream` bin: plain node, so it registers tsx to run the TypeScript entry.
process.env.TZ = 'UTC';
const { register } = await import('tsx/esm/api');
register();
await import('./main.ts');
