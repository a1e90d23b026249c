/**
 * MEASURED ALTERNATIVE (not product code, not made): land each record's bytes exactly as the API sent them instead
 * of serialising the parsed record again. The page is still parsed and validated (the
 * partition date and `_id` come from it), but the NDJSON is cut from the response body:
 * no JSON.stringify per record, no joined string, no second UTF-8 encoding. It is also the
 * original tool's "rawest format" to the byte (number spellings, escapes and key order kept).
 *
 * The benchmark measures it against encodeLandingObjects on the same bytes (section 5).
 */
import { gzipSync } from 'node:zlib';
import { GZIP_LEVEL, partitionDate } from '../../functions/pipeline/landing.js';
import type { ConveYourRecord } from '../../functions/conveyour/types.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

/**
 * Byte ranges [start, end) of the elements of `data.data.results` in a page body, in order;
 * undefined when the body has no such array. A structural scan: strings (with escapes) are
 * skipped, nesting is tracked, and only the key path data → data → results is followed.
 */
export function resultSlices(body: Uint8Array): Array<[number, number]> | undefined {
  const path: Array<string | undefined> = [];
  const isArray: boolean[] = [];
  let pendingKey: string | undefined;
  let expectKey = false;
  let resultsDepth = -1;
  let elementStart = -1;
  const slices: Array<[number, number]> = [];
  for (let i = 0; i < body.length; i++) {
    const byte = body[i]!;
    if (byte === QUOTE) {
      const start = i + 1;
      i = start;
      while (i < body.length && body[i] !== QUOTE) i += body[i] === BACKSLASH ? 2 : 1;
      if (expectKey) pendingKey = Buffer.from(body.buffer, body.byteOffset + start, i - start).toString('latin1');
      if (resultsDepth >= 0 && path.length === resultsDepth + 1 && elementStart < 0) elementStart = start - 1;
      continue;
    }
    if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (resultsDepth >= 0 && path.length === resultsDepth + 1 && elementStart < 0) elementStart = i;
      path.push(pendingKey);
      isArray.push(byte === OPEN_ARRAY);
      if (byte === OPEN_ARRAY && path.length === 4 && path[1] === 'data' && path[2] === 'data' && path[3] === 'results') resultsDepth = 3;
      pendingKey = undefined;
      expectKey = byte === OPEN_OBJECT;
      continue;
    }
    if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      if (resultsDepth >= 0 && path.length === resultsDepth + 1) {
        if (elementStart >= 0) slices.push([elementStart, lastNonSpace(body, i) + 1]);
        return slices;
      }
      path.pop();
      isArray.pop();
      continue;
    }
    if (byte === COMMA) {
      if (resultsDepth >= 0 && path.length === resultsDepth + 1 && elementStart >= 0) {
        slices.push([elementStart, lastNonSpace(body, i) + 1]);
        elementStart = -1;
      }
      expectKey = isArray.length > 0 && !isArray[isArray.length - 1];
      continue;
    }
    if (byte === COLON) {
      expectKey = false;
      continue;
    }
    // Scalars (numbers, true, false, null) inside results start an element too.
    if (byte > 0x20 && resultsDepth >= 0 && path.length === resultsDepth + 1 && elementStart < 0) elementStart = i;
  }
  return undefined;
}

function lastNonSpace(body: Uint8Array, before: number): number {
  let i = before - 1;
  while (i >= 0 && (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09)) i--;
  return i;
}

const NEWLINE = Buffer.from('\n');

/** NDJSON.gz bodies per partition date, from the raw slices; the parsed records only decide the dates. */
export function encodeRawLanding(body: Buffer, records: readonly ConveYourRecord[]): Array<{ dt: string; body: Buffer; records: number }> | undefined {
  const slices = resultSlices(body);
  if (!slices || slices.length !== records.length) return undefined;
  const byDate = new Map<string, Buffer[]>();
  records.forEach((record, index) => {
    const dt = partitionDate(record);
    let parts = byDate.get(dt);
    if (!parts) byDate.set(dt, (parts = []));
    const [start, end] = slices[index]!;
    parts.push(body.subarray(start, end), NEWLINE);
  });
  return [...byDate].map(([dt, parts]) => ({ dt, body: gzipSync(Buffer.concat(parts), { level: GZIP_LEVEL }), records: parts.length / 2 }));
}
