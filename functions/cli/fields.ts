/**
 * `--fields`: a new object built from lodash paths, as the original tool did
 * (`_.set(newRecord, field, _.get(record, field))`), so `contact.d.first_name` works and a
 * path missing from a record is written as undefined, which JSON drops.
 */
import get from 'lodash/get.js';
import set from 'lodash/set.js';

/** Splits on commas, trims, drops blanks. */
export function parseFields(spec: string): string[] {
  return spec
    .split(',')
    .map((field) => field.trim())
    .filter((field) => field !== '');
}

/** The whole record when no fields are given. */
export function projectRecord(fields: readonly string[]): (record: object) => object {
  if (fields.length === 0) return (record) => record;
  return (record) => {
    const projected = {};
    for (const field of fields) set(projected, field, get(record, field));
    return projected;
  };
}
