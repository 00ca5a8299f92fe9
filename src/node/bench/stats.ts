/** The statistics every benchmark reports. */

/** The median; for an even count, the mean of the two middle values. NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `x` rounded to `digits` decimals, for printing and JSON. */
export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
