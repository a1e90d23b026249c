/** Number formatting for the report: fixed, readable, locale-independent. */

export function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

/** 1234567 -> "1,234,567" (grouping by hand: the report must not depend on the machine's locale). */
export function int(value: number): string {
  const rounded = Math.round(value);
  const sign = rounded < 0 ? '-' : '';
  return sign + String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function kb(bytes: number): string {
  return `${fixed(bytes / 1024, 0)} KB`;
}

export function mb(bytes: number, digits = 1): string {
  return `${fixed(bytes / (1024 * 1024), digits)} MB`;
}

export function ms(value: number, digits = 0): string {
  return `${fixed(value, digits)} ms`;
}

export function usd(value: number): string {
  if (value === 0) return '$0';
  if (Math.abs(value) < 0.0001) return '< $0.0001';
  if (Math.abs(value) < 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toFixed(2)}`;
}

/** A list price as published: $0.023, $0.625, $13.33 (no rounding away of the digits that matter). */
export function price(value: number): string {
  return `$${value >= 10 ? value.toFixed(2) : String(Number(value.toPrecision(4)))}`;
}

export function ratio(value: number): string {
  return `${fixed(value, 2)}×`;
}

/** A Markdown table from a header row and body rows. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** "met" / "missed" for a goal, with the comparison spelled out. */
export function verdict(met: boolean): string {
  return met ? '**met**' : '**missed**';
}
