import { describe, expect, it } from 'vitest';
import { parseFields, projectRecord } from '../../functions/cli/fields.js';
import { ndjsonFormatter } from '../../functions/cli/output.js';

const transcript = { _id: 't1', trigger: 'lesson_done', d: { points: 3 }, contact: { _id: 'c1', d: { first_name: 'Ada', last_name: 'L' } } };

describe('--fields projection', () => {
  it('returns the record itself when no fields are given', () => {
    expect(projectRecord([])(transcript)).toBe(transcript);
  });

  it('builds a new object from lodash paths, nesting as the path says', () => {
    expect(projectRecord(['trigger', 'contact.d.first_name', 'contact._id'])(transcript)).toEqual({
      trigger: 'lesson_done',
      contact: { d: { first_name: 'Ada' }, _id: 'c1' },
    });
  });

  it('writes a missing field as undefined, which JSON drops, like the original', () => {
    const projected = projectRecord(['_id', 'missing', 'd.nothing'])(transcript);
    expect(Object.keys(projected)).toEqual(['_id', 'missing', 'd']);
    expect(JSON.stringify(projected)).toBe('{"_id":"t1","d":{}}');
  });

  it('reads bracket paths as lodash does', () => {
    expect(projectRecord(['tags[1]'])({ _id: 'x', tags: ['a', 'b'] })).toEqual({ tags: [undefined, 'b'] });
  });

  it('parses a spec by commas, trimming and dropping blanks', () => {
    expect(parseFields(' con_id ,, d.points ,')).toEqual(['con_id', 'd.points']);
    expect(parseFields(' , ')).toEqual([]);
  });
});

describe('ndjson formatting', () => {
  it('prints one record per line', () => {
    expect(ndjsonFormatter({ pretty: false, fields: [] })([{ _id: 'a' }, { _id: 'b', d: { x: 1 } }])).toBe('{"_id":"a"}\n{"_id":"b","d":{"x":1}}\n');
  });

  it('indents by 4 spaces with --pretty, like the original', () => {
    expect(ndjsonFormatter({ pretty: true, fields: [] })([{ _id: 'a', d: { x: 1 } }])).toBe('{\n    "_id": "a",\n    "d": {\n        "x": 1\n    }\n}\n');
  });

  it('applies the projection before formatting', () => {
    expect(ndjsonFormatter({ pretty: false, fields: ['d.points'] })([transcript])).toBe('{"d":{"points":3}}\n');
  });
});
