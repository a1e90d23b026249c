import { describe, expect, it } from 'vitest';
import { encodeContinuationMessage, parseContinuationMessage } from '../../functions/pipeline/messages.js';

const catalog = new Map([['acme', ['events', 'contacts']]]);

describe('continuation messages', () => {
  it('round-trips a valid message', () => {
    const message = { source: 'acme', collection: 'events', runId: 'r1', hop: 2 };
    expect(parseContinuationMessage(encodeContinuationMessage(message), catalog)).toEqual(message);
  });

  it.each([
    ['not json', /not JSON/],
    ['[1,2]', /must be a JSON object/],
    ['{"source":"nope","collection":"events","runId":"r","hop":1}', /unknown source "nope"; configured: acme/],
    ['{"source":"acme","collection":"tags","runId":"r","hop":1}', /collection "tags", not enabled for source 'acme'; enabled: events, contacts/],
    ['{"source":"acme","collection":"events","runId":"","hop":1}', /non-empty string runId/],
    ['{"source":"acme","collection":"events","runId":"r","hop":0}', /integer hop >= 1, got 0/],
    ['{"source":"acme","collection":"events","runId":"r","hop":"2"}', /integer hop >= 1, got "2"/],
  ])('rejects %s with a message naming what is wrong', (body, message) => {
    expect(() => parseContinuationMessage(body, catalog)).toThrow(message);
  });
});
