/**
 * `npm run snowflake-ddl`: the worksheet it prints for a deployed landing zone, where it takes
 * its values from (flags or `cdk deploy --outputs-file`), and the file-name patterns the pipe
 * applies, checked against keys the pipeline itself writes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { landingKey } from '../../functions/pipeline/landing.js';
import { deletionsKey } from '../../functions/rescan/deletions.js';
import { OUTPUT } from '../../infra/cdk/outputs.js';
import { FILE_NAME_PATTERNS, optionsFromOutputs, snowflakeDdl } from '../../infra/cdk/snowflakeDdl.js';
import { ddlOptionsFromArgs } from '../../infra/cdk/snowflakeDdlCli.js';

const ROLE = 'arn:aws:iam::123456789012:role/ConveYourStream-snowflake-reader';
const OPTIONS = { bucket: 'conveyour-landing-1', prefix: 'conveyour/', roleArn: ROLE, name: 'CONVEYOUR', notificationDeployed: false };
const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:sf-snowpipe-AIDAEXAMPLE-abc';
const outputsFile = (prefix = 'conveyour/', snowpipe = 'none') =>
  JSON.stringify({ ConveYourStream: { [OUTPUT.landingBucket]: 'conveyour-landing-1', [OUTPUT.landingPrefix]: prefix, [OUTPUT.snowflakeRoleArn]: ROLE, [OUTPUT.snowpipeQueueArn]: snowpipe } });
const ROOT = new URL('../../', import.meta.url).pathname;

describe('the Snowflake worksheet', () => {
  const sql = snowflakeDdl(OPTIONS);

  it('creates a storage integration for the reader role, limited to the landing prefix', () => {
    expect(sql).toContain(`STORAGE_AWS_ROLE_ARN = '${ROLE}'`);
    expect(sql).toContain("STORAGE_ALLOWED_LOCATIONS = ('s3://conveyour-landing-1/conveyour/')");
  });

  it('reads gzip NDJSON through a stage on the landing prefix', () => {
    expect(sql).toMatch(/CREATE FILE FORMAT IF NOT EXISTS CONVEYOUR_NDJSON_GZ\s+TYPE = JSON\s+COMPRESSION = GZIP;/);
    expect(sql).toMatch(/CREATE STAGE IF NOT EXISTS CONVEYOUR_LANDING_STAGE\s+URL = 's3:\/\/conveyour-landing-1\/conveyour\/'\s+STORAGE_INTEGRATION = CONVEYOUR_LANDING/);
  });

  it('keeps the record as VARIANT beside the columns extracted from it and from its file name', () => {
    expect(sql).toMatch(/RECORD VARIANT NOT NULL,\s+_ID STRING,\s+UPDATED_AT NUMBER\(20, 0\),\s+COLLECTION STRING,\s+DT DATE,\s+SOURCE STRING,\s+FILE_NAME STRING/);
    expect(sql).toContain('TO_VARCHAR($1:_id),');
    expect(sql).toContain('TRY_TO_DATE(REGEXP_SUBSTR(METADATA$FILENAME');
  });

  it('casts extracted columns with TRY_ functions, so a bad updated_at is a NULL column and not a skipped file', () => {
    expect(sql).toContain('TRY_CAST(TO_VARCHAR($1:updated_at) AS NUMBER(20, 0)),');
    const select = sql.slice(sql.indexOf('SELECT\n      $1,'), sql.indexOf('FROM @'));
    // Every plain cast (::TYPE, CAST(, TO_DATE() would fail the row, and Snowpipe then skips the file.
    expect(select).not.toMatch(/::[A-Z]|(?<!TRY_)CAST\(|(?<!TRY_)TO_DATE\(|TO_NUMBER\(/);
  });

  it('stops at setting up the S3 notification until it exists, and never refreshes the pipe before it', () => {
    expect(sql).toContain("SHOW PIPES LIKE 'CONVEYOUR_RECORDS_PIPE';");
    expect(sql).toContain('npx cdk deploy -c snowpipeQueueArn=');
    expect(sql).not.toContain('ALTER PIPE');
  });

  it('ends with ALTER PIPE … REFRESH of both pipes once the notification is deployed, after every statement that creates', () => {
    const after = snowflakeDdl({ ...OPTIONS, notificationDeployed: true });
    expect(after.trimEnd().endsWith('ALTER PIPE CONVEYOUR_RECORDS_PIPE REFRESH;\nALTER PIPE CONVEYOUR_DELETIONS_PIPE REFRESH;')).toBe(true);
    expect(after.indexOf('REFRESH')).toBeGreaterThan(after.lastIndexOf('CREATE '));
    expect(after).not.toContain('SHOW PIPES');
  });

  it('auto-ingests with a pipe and dedupes to the latest version per collection, source and _id in a view', () => {
    expect(sql).toMatch(/CREATE PIPE IF NOT EXISTS CONVEYOUR_RECORDS_PIPE\s+AUTO_INGEST = TRUE/);
    expect(sql).toMatch(/QUALIFY ROW_NUMBER\(\) OVER \(PARTITION BY COLLECTION, SOURCE, _ID ORDER BY UPDATED_AT DESC, FILE_NAME DESC\) = 1;/);
  });

  it('loads tombstones with their own pipe into a deletions table, TRY_ casts only', () => {
    expect(sql).toMatch(/CREATE TABLE IF NOT EXISTS CONVEYOUR_DELETIONS \(\s+RECORD VARIANT NOT NULL,\s+_ID STRING,\s+DELETED_AT NUMBER\(20, 0\),\s+LAST_UPDATED_AT NUMBER\(20, 0\),\s+COLLECTION STRING,\s+DT DATE,\s+SOURCE STRING,/);
    const pipe = sql.slice(sql.indexOf('CREATE PIPE IF NOT EXISTS CONVEYOUR_DELETIONS_PIPE'), sql.indexOf('-- 8.'));
    expect(pipe).toContain('COPY INTO CONVEYOUR_DELETIONS (RECORD, _ID, DELETED_AT, LAST_UPDATED_AT, COLLECTION, DT, SOURCE, FILE_NAME)');
    expect(pipe).toContain("PATTERN = 'deletions/collection=[^/]+/dt=[0-9-]+/[^/]+[.]ndjson[.]gz';");
    expect(pipe.slice(pipe.indexOf('SELECT'), pipe.indexOf('FROM @'))).not.toMatch(/::[A-Z]|(?<!TRY_)CAST\(|(?<!TRY_)TO_DATE\(|TO_NUMBER\(/);
  });

  it("leaves out of the current view the records whose newest tombstone covers their latest version", () => {
    const view = sql.slice(sql.indexOf('CREATE OR REPLACE VIEW CONVEYOUR_CURRENT'), sql.indexOf('-- 9.'));
    expect(view).toContain('FROM CONVEYOUR_LATEST l');
    expect(view).toMatch(/MAX\(LAST_UPDATED_AT\) AS LAST_UPDATED_AT\s+FROM CONVEYOUR_DELETIONS\s+GROUP BY COLLECTION, SOURCE, _ID/);
    expect(view).toContain('ON d.COLLECTION = l.COLLECTION AND d.SOURCE = l.SOURCE AND d._ID = l._ID');
    expect(view).toContain('WHERE d._ID IS NULL OR d.LAST_UPDATED_AT < COALESCE(l.UPDATED_AT, TRY_TO_NUMBER(TO_VARCHAR(l.RECORD:created_at)), 0);');
  });

  it('prefixes every object name and emits USE statements when asked', () => {
    const named = snowflakeDdl({ ...OPTIONS, name: 'acme', database: 'RAW', schema: 'CONVEYOUR' });
    expect(named).toMatch(/^USE DATABASE RAW;\nUSE SCHEMA CONVEYOUR;$/m);
    expect(named).toContain('CREATE TABLE IF NOT EXISTS ACME_RECORDS');
    expect(named).not.toContain('CONVEYOUR_RECORDS');
  });

  it('refuses values that would break out of a SQL literal', () => {
    expect(() => snowflakeDdl({ ...OPTIONS, roleArn: "arn:aws:iam::123456789012:role/x'); DROP TABLE t; --" })).toThrow(/--role-arn must be an IAM role ARN/);
    expect(() => snowflakeDdl({ ...OPTIONS, prefix: "a'b/" })).toThrow(/--prefix must be an S3 key prefix/);
  });
});

describe("the pipe's file-name patterns", () => {
  // METADATA$FILENAME is the key below the stage URL (the landing prefix).
  const relative = (source: string, range: string) =>
    landingKey({ prefix: '', source, collection: 'lesson_transcripts', window: { start: 1, end: 2 }, run: '0b5e8a52-1d3c-4f6a-8e9b-7c2d1f0a3e64', generation: 0, range }, '2024-02-29');

  const tombstones = (source: string) =>
    deletionsKey({ prefix: '', source, collection: 'contacts', coverage: { start: 1, end: 2 }, run: '0b5e8a52-1d3c-4f6a-8e9b-7c2d1f0a3e64', generation: 0 }, '2024-03-01', 'd000000-000004');

  it('extract collection, dt and source from a landing key', () => {
    const name = relative('acme_eu-1', 'c1i0-c2i3');
    expect(new RegExp(FILE_NAME_PATTERNS.collection).exec(name)?.[1]).toBe('lesson_transcripts');
    expect(new RegExp(FILE_NAME_PATTERNS.dt).exec(name)?.[1]).toBe('2024-02-29');
    expect(new RegExp(FILE_NAME_PATTERNS.source).exec(name)?.[1]).toBe('acme_eu-1');
  });

  it('match landing files and nothing else under the prefix', () => {
    const files = new RegExp(`^${FILE_NAME_PATTERNS.files}$`);
    expect(files.test(relative('acme', 'p000001-000002'))).toBe(true);
    expect(files.test('collection=events/dt=2024-01-01/manifest.json')).toBe(false);
    expect(files.test('athena-results/abc.csv')).toBe(false);
    expect(files.test(tombstones('acme'))).toBe(false);
  });

  it('match tombstone files in the deletions pipe, and read collection, dt and source from them', () => {
    const deletions = new RegExp(`^${FILE_NAME_PATTERNS.deletions}$`);
    const name = tombstones('acme_eu-1');
    expect(deletions.test(name)).toBe(true);
    expect(deletions.test(relative('acme', 'p000001-000002'))).toBe(false);
    expect(new RegExp(FILE_NAME_PATTERNS.collection).exec(name)?.[1]).toBe('contacts');
    expect(new RegExp(FILE_NAME_PATTERNS.dt).exec(name)?.[1]).toBe('2024-03-01');
    expect(new RegExp(FILE_NAME_PATTERNS.source).exec(name)?.[1]).toBe('acme_eu-1');
  });
});

describe('where the values come from', () => {
  it('reads bucket, prefix and role from the cdk deploy outputs file', () => {
    expect(ddlOptionsFromArgs(['--outputs', 'cdk-outputs.json'], () => outputsFile())).toEqual(OPTIONS);
  });

  it("knows the notification is deployed from the stack's SnowpipeQueueArn output", () => {
    expect(ddlOptionsFromArgs(['--outputs', 'o.json'], () => outputsFile('conveyour/', QUEUE)).notificationDeployed).toBe(true);
    expect(ddlOptionsFromArgs(['--outputs', 'o.json'], () => outputsFile('conveyour/', 'none')).notificationDeployed).toBe(false);
    expect(ddlOptionsFromArgs(['--bucket', 'conveyour-landing-1', '--prefix', 'p/', '--role-arn', ROLE, '--notification-deployed']).notificationDeployed).toBe(true);
  });

  it('turns the root-prefix output "/" into an empty prefix', () => {
    expect(optionsFromOutputs(JSON.parse(outputsFile('/'))).prefix).toBe('');
  });

  it('lets a flag override a value from the outputs file', () => {
    expect(ddlOptionsFromArgs(['--outputs', 'o.json', '--prefix', 'other/'], () => outputsFile()).prefix).toBe('other/');
  });

  it('works from flags alone, offline', () => {
    expect(ddlOptionsFromArgs(['--bucket', 'conveyour-landing-1', '--prefix', 'conveyour/', '--role-arn', ROLE])).toEqual(OPTIONS);
  });

  it('names the missing flags', () => {
    expect(() => ddlOptionsFromArgs(['--bucket', 'b-1'])).toThrow(/^--prefix, --role-arn required \(or --outputs cdk-outputs\.json\)/);
  });

  it('asks for --stack when the outputs file holds several stacks', () => {
    const two = JSON.stringify({ A: JSON.parse(outputsFile()).ConveYourStream, B: {} });
    expect(() => ddlOptionsFromArgs(['--outputs', 'o.json'], () => two)).toThrow(/--stack is required: the outputs file holds stacks A, B/);
  });

  it('names the output a stack lacks', () => {
    const missing = JSON.stringify({ S: { [OUTPUT.landingBucket]: 'b-1', [OUTPUT.landingPrefix]: '/' } });
    expect(() => ddlOptionsFromArgs(['--outputs', 'o.json'], () => missing)).toThrow(/the outputs of stack 'S' have no SnowflakeRoleArn/);
  });
});

describe('npm run -s snowflake-ddl -- --out FILE', () => {
  it('writes the worksheet alone to the file, nothing else on stdout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'snowflake-ddl-'));
    try {
      writeFileSync(join(dir, 'cdk-outputs.json'), outputsFile('conveyour/', QUEUE));
      const out = join(dir, 'snowflake.sql');
      const result = spawnSync('npm', ['run', '-s', 'snowflake-ddl', '--', '--outputs', join(dir, 'cdk-outputs.json'), '--out', out], { cwd: ROOT, encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toBe('');
      const sql = readFileSync(out, 'utf8');
      expect(sql).toBe(snowflakeDdl({ ...OPTIONS, notificationDeployed: true }));
      expect(sql.startsWith('-- ConveYour landing zone')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
