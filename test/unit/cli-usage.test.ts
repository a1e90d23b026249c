import { describe, expect, it } from 'vitest';
import { runCli } from '../../functions/cli/cli.js';
import { CASES_NOW_MS, USAGE_CASES } from './cli-usage-cases.js';
import { TEST_CREDENTIALS_ENV, fakeIo } from './cli-fakes.js';

describe('bad usage: exit 2 with one line that says what to fix, before any request', () => {
  it.each(USAGE_CASES.map((usage) => [usage.title, usage] as const))('%s', async (_title, usage) => {
    // Prepare
    const io = fakeIo({
      argv: usage.argv,
      env: { ...(usage.noCredentials ? {} : TEST_CREDENTIALS_ENV), ...usage.env },
      files: usage.files ?? {},
      clock: () => CASES_NOW_MS,
    });

    // Act
    const exitCode = await runCli(io);

    // Assess
    expect(io.stderr.text()).toBe(`conveyour-stream: ${usage.message}\n`);
    expect(exitCode).toBe(2);
    expect(io.stdout.text()).toBe('');
  });
});
