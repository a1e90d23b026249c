/**
 * `npm run -s snowflake-ddl -- [flags]`: the Snowflake worksheet for the deployed landing
 * zone, to stdout or to `--out FILE` (so npm's banner never ends up in the SQL). Offline:
 * values come from flags, or from the file `npx cdk deploy --outputs-file cdk-outputs.json`
 * wrote (flags given as well override the file).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../functions/config/env.js';
import { optionsFromOutputs, snowflakeDdl, type SnowflakeDdlOptions } from './snowflakeDdl.js';

export const USAGE = `Usage: npm run -s snowflake-ddl -- (--outputs cdk-outputs.json [--stack NAME] | --bucket B --prefix P --role-arn ARN)
                              [--notification-deployed] [--name CONVEYOUR] [--database DB] [--schema SCHEMA] [--out FILE]

  --outputs FILE   the JSON written by: npx cdk deploy --outputs-file cdk-outputs.json
  --stack NAME     which stack in that file (needed only when it holds several)
  --bucket B       landing bucket (stack output LandingBucketName)
  --prefix P       landing prefix (stack output LandingPrefix; '' or / for the bucket root)
  --role-arn ARN   stack output SnowflakeRoleArn
  --notification-deployed   the bucket already notifies Snowpipe (read from SnowpipeQueueArn with
                   --outputs): end with ALTER PIPE ... REFRESH instead of the step that sets it up
  --out FILE       write the worksheet to FILE instead of stdout
  --name N         prefix of the Snowflake object names (default CONVEYOUR)
  --database, --schema   emitted as USE statements first`;

/** Turns argv into options; throws ConfigError naming the flag. */
export function ddlOptionsFromArgs(args: readonly string[], readFile?: (path: string) => string): SnowflakeDdlOptions {
  return ddlCommandFromArgs(args, readFile).options;
}

/** The options and where the worksheet goes (`--out`, else stdout). */
export function ddlCommandFromArgs(args: readonly string[], readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): { options: SnowflakeDdlOptions; out: string | undefined } {
  const { values } = parseArgs({
    args: [...args],
    options: {
      outputs: { type: 'string' },
      stack: { type: 'string' },
      bucket: { type: 'string' },
      prefix: { type: 'string' },
      'role-arn': { type: 'string' },
      name: { type: 'string', default: 'CONVEYOUR' },
      database: { type: 'string' },
      schema: { type: 'string' },
      'notification-deployed': { type: 'boolean' },
      out: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  let fromFile: Partial<SnowflakeDdlOptions> = {};
  if (values.outputs !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(readFile(values.outputs));
    } catch (error) {
      throw new ConfigError('--outputs', `--outputs '${values.outputs}' could not be read as JSON: ${(error as Error).message}`);
    }
    fromFile = optionsFromOutputs(json, values.stack);
  }
  const bucket = values.bucket ?? fromFile.bucket;
  const prefix = values.prefix ?? fromFile.prefix;
  const roleArn = values['role-arn'] ?? fromFile.roleArn;
  const missing = [bucket === undefined && '--bucket', prefix === undefined && '--prefix', roleArn === undefined && '--role-arn'].filter(Boolean);
  if (bucket === undefined || prefix === undefined || roleArn === undefined) {
    throw new ConfigError(missing.join(', '), `${missing.join(', ')} required (or --outputs cdk-outputs.json)\n\n${USAGE}`);
  }
  const options: SnowflakeDdlOptions = {
    bucket,
    prefix: prefix === '/' ? '' : prefix,
    roleArn,
    name: values.name,
    notificationDeployed: values['notification-deployed'] ?? fromFile.notificationDeployed ?? false,
    ...(values.database === undefined ? {} : { database: values.database }),
    ...(values.schema === undefined ? {} : { schema: values.schema }),
  };
  if (values.out === '') throw new ConfigError('--out', '--out needs a file name, e.g. --out snowflake.sql');
  return { options, out: values.out };
}

export function main(argv: readonly string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const { options, out } = ddlCommandFromArgs(argv);
    const sql = snowflakeDdl(options);
    if (out === undefined) process.stdout.write(sql);
    else {
      writeFileSync(out, sql);
      process.stderr.write(`snowflake-ddl: wrote ${out}${options.notificationDeployed ? '' : ' (ends where the Snowpipe notification is set up; print it again after that deploy)'}\n`);
    }
    return 0;
  } catch (error) {
    process.stderr.write(`snowflake-ddl: ${(error as Error).message}\n`);
    return 2;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
