/**
 * `npx cdk synth|deploy` entry (cdk.json "app"). Settings come from CDK context; see
 * infra/cdk/config.ts for the keys and docs/deploy.md for examples.
 */
import { buildApp } from './stack.js';

buildApp().app.synth();
