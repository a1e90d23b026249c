/**
 * Opaque cursors: base64url of "query id . offset . MAC". The MAC (HMAC-SHA256 under a
 * per-instance key, truncated) makes a hand-edited or corrupted cursor a clean
 * 400 bad_request instead of a silently different page. The same cursor always decodes
 * to the same offset, which is what makes re-fetching a page idempotent.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const MAC_HEX_LENGTH = 16;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const PLAIN = /^([0-9a-f]{24})\.(\d{1,9})\.([0-9a-f]{16})$/;

export interface CursorTarget {
  queryId: string;
  offset: number;
}

export class CursorCodec {
  constructor(private readonly key: string) {}

  encode(target: CursorTarget): string {
    const body = `${target.queryId}.${target.offset}`;
    return Buffer.from(`${body}.${this.mac(body)}`, 'utf8').toString('base64url');
  }

  /** The cursor's target, or undefined when it is not a cursor this instance issued. */
  decode(cursor: string): CursorTarget | undefined {
    if (cursor.length > 200 || !BASE64URL.test(cursor)) return undefined;
    const match = PLAIN.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (match === null) return undefined;
    const [, queryId, offset, mac] = match as unknown as [string, string, string, string];
    const expected = Buffer.from(this.mac(`${queryId}.${offset}`));
    if (!timingSafeEqual(expected, Buffer.from(mac))) return undefined;
    return { queryId, offset: Number(offset) };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('hex').slice(0, MAC_HEX_LENGTH);
  }
}
