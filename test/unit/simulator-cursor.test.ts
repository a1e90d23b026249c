import { describe, expect, it } from 'vitest';
import { CursorCodec } from '../../infra/local/simulator/cursor.js';

const QUERY = '67cec3c08342132c00000001';

describe('simulator cursor', () => {
  it('decodes what it encoded', () => {
    const codec = new CursorCodec('key');
    expect(codec.decode(codec.encode({ queryId: QUERY, offset: 2000 }))).toEqual({ queryId: QUERY, offset: 2000 });
  });

  it('is URL-safe and opaque', () => {
    const cursor = new CursorCodec('key').encode({ queryId: QUERY, offset: 1000 });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(QUERY);
  });

  it('rejects an edited offset', () => {
    const codec = new CursorCodec('key');
    const plain = Buffer.from(codec.encode({ queryId: QUERY, offset: 1000 }), 'base64url').toString().replace('.1000.', '.9000.');
    expect(codec.decode(Buffer.from(plain).toString('base64url'))).toBeUndefined();
  });

  it("rejects another instance's cursor", () => {
    const cursor = new CursorCodec('instance-a').encode({ queryId: QUERY, offset: 1000 });
    expect(new CursorCodec('instance-b').decode(cursor)).toBeUndefined();
  });

  it.each(['', 'not base64!', 'aGVsbG8', 'x'.repeat(500)])('rejects garbage %#', (garbage) => {
    expect(new CursorCodec('key').decode(garbage)).toBeUndefined();
  });
});
