/**
 * `npm run doctor`: is it working? Checks a deployed stack (from the outputs file `npx cdk
 * deploy --outputs-file cdk-outputs.json` wrote, through the default AWS credentials) or the
 * running `npm start` (from its data dir), and prints one verdict per check with the
 * commands that fix each problem. Exit 0 healthy, 1 a problem found, 2 bad usage.
 */
import '../../functions/config/sdkNodeNotice.js';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, parseNumber } from '../../functions/config/env.js';
import { runningEndpoints } from '../local/endpointsFile.js';
import { EMULATOR_CREDENTIALS } from '../local/emulators.js';
import { runDoctor, type DoctorOptions } from './doctor.js';
import { renderReport } from './findings.js';
import { targetFromOutputs, type DoctorTarget, type LocalEndpoints } from './target.js';

export const USAGE = `usage: npm run doctor -- [--outputs=cdk-outputs.json [--stack=NAME] [--region=REGION]] [--data-dir=DIR]
                         [--snowpipe-queue-arn=ARN] [--lag-threshold=SECONDS] [--json]

  --outputs=FILE            the deployed stack, from: npx cdk deploy --outputs-file cdk-outputs.json
                            (default AWS credentials; without it, the running npm start is checked)
  --stack=NAME              which stack of that file (only when it holds several)
  --region=REGION           default: the continuation queue URL's region, else AWS_REGION
  --data-dir=DIR            the running npm start's data dir (default .local)
  --snowpipe-queue-arn=ARN  Snowpipe is set up with this queue (SHOW PIPES): its S3 notification must exist
  --lag-threshold=SECONDS   a collection further behind is a problem (default 1800, the stack's alarm)
  --json                    print the report as JSON

Exit status: 0 every check passed, 1 a problem was found, 2 bad usage.`;

export interface DoctorIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readFile: (path: string) => Promise<string>;
}

const defaultIo: DoctorIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readFile: (path) => readFile(path, 'utf8'),
};

/** The whole command, as a function: returns the exit code. */
export async function doctorMain(argv: readonly string[], io: DoctorIo = defaultIo): Promise<number> {
  let parsed: { target: DoctorTarget | undefined; options: DoctorOptions; json: boolean; dataDir: string } | 'help';
  try {
    parsed = await parse(argv, io);
  } catch (error) {
    if (!(error instanceof ConfigError) && !(error instanceof TypeError)) throw error;
    io.stderr(`doctor: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed === 'help') {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (!parsed.target) {
    io.stderr(`doctor: no npm start is running on ${parsed.dataDir}: start it (npm start), or check a deployed stack with --outputs=cdk-outputs.json\n`);
    return 1;
  }
  const doctor = await runDoctor(parsed.target, parsed.options);
  io.stdout(parsed.json ? `${JSON.stringify(doctor, null, 2)}\n` : `${renderReport(doctor)}\n`);
  return doctor.healthy ? 0 : 1;
}

async function parse(argv: readonly string[], io: DoctorIo) {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      outputs: { type: 'string' },
      stack: { type: 'string' },
      region: { type: 'string' },
      'data-dir': { type: 'string', default: '.local' },
      'snowpipe-queue-arn': { type: 'string' },
      'lag-threshold': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help' as const;
  const arn = values['snowpipe-queue-arn'];
  if (arn !== undefined && !/^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(arn)) {
    throw new ConfigError('--snowpipe-queue-arn', `--snowpipe-queue-arn must be an SQS queue ARN as SHOW PIPES prints it (arn:aws:sqs:REGION:ACCOUNT:sf-snowpipe-...), got ${JSON.stringify(arn)}`);
  }
  const options: DoctorOptions = {
    ...(arn === undefined ? {} : { snowpipeQueueArn: arn }),
    ...(values['lag-threshold'] === undefined ? {} : { lagThresholdSeconds: parseNumber(values['lag-threshold'], '--lag-threshold', { min: 60, integer: true }) }),
  };
  const dataDir = values['data-dir'];
  if (values.outputs !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(await io.readFile(values.outputs));
    } catch (error) {
      throw new ConfigError('--outputs', `--outputs '${values.outputs}' could not be read as JSON: ${(error as Error).message}`);
    }
    return { target: targetFromOutputs(json, values.stack, values.region), options, json: values.json, dataDir };
  }
  const running = await runningEndpoints(dataDir);
  if (!running?.outputs) return { target: undefined, options, json: values.json, dataDir };
  const local = targetFromOutputs(running.outputs, values.stack, values.region ?? running.region);
  return { target: { ...local, endpoints: running.endpoints as LocalEndpoints, credentials: { ...EMULATOR_CREDENTIALS } }, options, json: values.json, dataDir };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  doctorMain(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`doctor failed: ${(error as Error).message ?? String(error)}`);
      process.exit(1);
    },
  );
}
