/**
 * s3rver, dynalite and local-aws-sqs in their own process: on AWS these services run
 * elsewhere, so their CPU and memory must not be counted as the pipeline's.
 */
import { failStart, serve } from '../lib/child.js';
import { startEmulators, type Emulators } from '../../infra/local/emulators.js';

export type EmulatorsReady = Pick<Emulators, 'endpoints' | 'region' | 'credentials'>;

try {
  const emulators = await startEmulators();
  const ready: EmulatorsReady = { endpoints: emulators.endpoints, region: emulators.region, credentials: emulators.credentials };
  serve(ready, { resourceUsage: () => process.resourceUsage() }, () => emulators.close());
} catch (error) {
  failStart(error);
}
