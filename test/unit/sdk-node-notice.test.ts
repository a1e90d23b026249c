/**
 * Our commands' output stays ours: the AWS SDK's NodeVersionSupportWarning (9 lines on
 * Node 20, from every client) is switched off in the entry points. The control shows the
 * SDK still warns without that switch on this Node, so the check below can fail.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const NOTICE = 'NodeVersionSupportWarning';
const major = Number(process.versions.node.split('.')[0]);
const env = { ...process.env };
delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;

describe('the AWS SDK Node version notice', () => {
  it.runIf(major < 22)('is printed by an SDK client on this Node when nothing switches it off (control)', () => {
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', "const { S3Client } = await import('@aws-sdk/client-s3'); new S3Client({ region: 'us-east-1' });"], { cwd: ROOT, encoding: 'utf8', env });
    expect(result.stderr).toContain(NOTICE);
  });

  // Where the SDK no longer warns (Node 22+), the run below cannot fail: this one still can.
  it.each(['functions/cli/main.ts', 'infra/local/start.ts', 'infra/local/status.ts', 'infra/local/query.ts', 'infra/backfill/main.ts', 'infra/doctor/main.ts', 'bench/main.ts', 'test/chaos/main.ts'])(
    'is switched off by %s before anything it imports can create a client',
    (entry) => {
      const firstImport = /^import [^\n]*$/m.exec(readFileSync(join(ROOT, entry), 'utf8'))?.[0];
      expect(firstImport).toMatch(/sdkNodeNotice\.js'/);
    },
  );

  it('is not in the output of npm run status, which creates SDK clients', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdk-notice-'));
    try {
      const result = spawnSync('npm', ['run', '-s', 'status', '--', `--data-dir=${dir}`], { cwd: ROOT, encoding: 'utf8', env });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout + result.stderr).not.toContain(NOTICE);
      expect(result.stdout).toContain('no checkpoints yet');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
