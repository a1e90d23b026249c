/**
 * The Singer spec's rules for a tap's output, as a checker the tests share
 * (https://github.com/singer-io/getting-started/blob/master/docs/SPEC.md).
 * Returns the problems found; an empty list means the output follows the spec.
 */
export interface SingerCheck {
  problems: string[];
  messages: Array<Record<string, unknown>>;
}

const REQUIRED: Record<string, string[]> = {
  SCHEMA: ['stream', 'schema', 'key_properties'],
  RECORD: ['stream', 'record'],
  STATE: ['value'],
};

export function checkSingerOutput(stdout: string, options: { stateLast?: boolean } = {}): SingerCheck {
  const problems: string[] = [];
  const messages: Array<Record<string, unknown>> = [];
  const schemas = new Map<string, Record<string, unknown>>();
  const lines = stdout.split('\n');
  if (lines.at(-1) !== '') problems.push('output does not end with a newline');
  for (const [index, line] of lines.slice(0, -1).entries()) {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      problems.push(`line ${index + 1} is not JSON`);
      continue;
    }
    messages.push(message);
    const type = String(message.type);
    const required = REQUIRED[type];
    if (!required) {
      problems.push(`line ${index + 1}: unknown type ${type}`);
      continue;
    }
    for (const key of required) if (!(key in message)) problems.push(`line ${index + 1}: ${type} without ${key}`);
    if (type === 'SCHEMA') {
      const schema = message.schema as Record<string, unknown>;
      if (schema?.type !== 'object') problems.push(`line ${index + 1}: SCHEMA schema is not an object schema`);
      if (!Array.isArray(message.key_properties)) problems.push(`line ${index + 1}: key_properties is not an array`);
      schemas.set(String(message.stream), message);
    }
    if (type === 'RECORD') {
      const schema = schemas.get(String(message.stream));
      if (!schema) problems.push(`line ${index + 1}: RECORD of ${String(message.stream)} before its SCHEMA`);
      const record = message.record as Record<string, unknown>;
      for (const key of (schema?.key_properties as string[] | undefined) ?? []) {
        if (!(key in record)) problems.push(`line ${index + 1}: RECORD without key property ${key}`);
      }
      if ('_id' in record && typeof record._id !== 'string') problems.push(`line ${index + 1}: _id is not a string`);
      for (const key of ['created_at', 'updated_at']) {
        if (key in record && record[key] !== null && !Number.isInteger(record[key])) problems.push(`line ${index + 1}: ${key} is not an integer`);
      }
      if ('time_extracted' in message && Number.isNaN(Date.parse(String(message.time_extracted)))) {
        problems.push(`line ${index + 1}: time_extracted is not an RFC 3339 date-time`);
      }
    }
    if (type === 'STATE' && (typeof message.value !== 'object' || message.value === null)) {
      problems.push(`line ${index + 1}: STATE value is not an object`);
    }
  }
  if (options.stateLast !== false && messages.at(-1)?.type !== 'STATE') problems.push('the last message is not a STATE');
  return { problems, messages };
}
