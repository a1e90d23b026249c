/**
 * What the function writes to its log, captured from stdout: Powertools' Logger and Metrics
 * both write there (as they do in Lambda, where stdout goes to CloudWatch Logs). The capture
 * swallows the lines, so a child that captures must report through IPC only.
 */

export interface Captured {
  bytes: number;
  lines: string[];
}

export function captureStdout(): { take(): Captured } {
  let buffer = '';
  process.stdout.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
    buffer += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') (done as () => void)();
    return true;
  }) as typeof process.stdout.write;
  return {
    take() {
      const taken = buffer;
      buffer = '';
      return { bytes: Buffer.byteLength(taken), lines: taken.split('\n').filter((line) => line !== '') };
    },
  };
}

/**
 * Metric series in EMF documents: one per (metric name, dimension values). CloudWatch bills
 * each series for every hour in which it receives a value.
 */
export function emfSeries(lines: readonly string[]): string[] {
  const series = new Set<string>();
  for (const line of lines) {
    let document: Record<string, unknown>;
    try {
      document = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const aws = document._aws as { CloudWatchMetrics?: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } | undefined;
    for (const directive of aws?.CloudWatchMetrics ?? []) {
      for (const dimensionSet of directive.Dimensions) {
        const dimensions = dimensionSet.map((name) => `${name}=${String(document[name])}`).join(',');
        for (const metric of directive.Metrics) series.add(`${directive.Namespace}/${metric.Name}{${dimensions}}`);
      }
    }
  }
  return [...series];
}
