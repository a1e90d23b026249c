/**
 * What the doctor reports: one finding per thing it checked, each with a verdict and, for a
 * problem, the commands that fix it, in order. Rendered as text or JSON; the exit code is 1
 * as soon as one finding is a problem.
 */
export type Verdict = 'ok' | 'problem' | 'skipped';

export type CheckName = 'secret' | 'schedule' | 'last-tick' | 'collection' | 'dead-letters' | 'snowpipe';

export interface Finding {
  check: CheckName;
  /** What was checked: a source, a schedule, `source/collection`, a queue. */
  subject: string;
  verdict: Verdict;
  /** One line: what was found. Never a secret's value. */
  detail: string;
  /** Commands that fix the problem, to run in order; on problems only. */
  fix?: string[];
}

export interface DoctorReport {
  stack: string;
  region: string;
  checkedAt: string;
  healthy: boolean;
  problems: number;
  findings: Finding[];
}

export function report(stack: string, region: string, nowMs: number, findings: Finding[]): DoctorReport {
  const problems = findings.filter((finding) => finding.verdict === 'problem').length;
  return { stack, region, checkedAt: new Date(nowMs).toISOString(), healthy: problems === 0, problems, findings };
}

export function renderReport(doctor: DoctorReport): string {
  const width = Math.max(...doctor.findings.map((finding) => finding.check.length + finding.subject.length + 1), 10);
  const lines = [`doctor: stack ${doctor.stack} in ${doctor.region}, ${doctor.checkedAt}`];
  for (const finding of doctor.findings) {
    const verdict = finding.verdict === 'problem' ? 'PROBLEM' : finding.verdict;
    lines.push(`${verdict.padEnd(8)} ${`${finding.check} ${finding.subject}`.padEnd(width)}  ${finding.detail}`);
    for (const command of finding.fix ?? []) lines.push(`${' '.repeat(9)}fix: ${command}`);
  }
  lines.push(doctor.healthy ? 'healthy: every check passed' : `${doctor.problems} problem${doctor.problems === 1 ? '' : 's'} found`);
  return lines.join('\n');
}

/** An SDK error's name, for the checks' classification (AccessDeniedException, ResourceNotFoundException, ...). */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
