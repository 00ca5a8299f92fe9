export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

export const emptyCounts = (): Counts => ({ passed: 0, failed: 0, skipped: 0 });

export function addCounts(into: Counts, more: Counts): void {
  into.passed += more.passed;
  into.failed += more.failed;
  into.skipped += more.skipped;
}
