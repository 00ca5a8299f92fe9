/**
 * What the editor reads of `anadiff segment --json` (one JSON line on stdout, the CLI's SegmentFileResult): the organ
 * table and the input warnings. Parsed at this edge: rows that do not fit are dropped, a malformed `confidence` is
 * left out, and anything but strings in `warnings` is ignored, so a foreign or older CLI's output degrades to less.
 */
import type { OrganStat } from '../core/metrics/organ-stats.js';

export interface SegmentSummary {
  readonly organs: readonly OrganStat[];
  /** Why the input lies outside what the model was trained on (core/infer/trust.ts); [] when it does not. */
  readonly warnings: readonly string[];
}

export function parseSegmentSummary(summary: unknown): SegmentSummary {
  const s = typeof summary === 'object' && summary !== null ? (summary as Record<string, unknown>) : {};
  const organs: OrganStat[] = [];
  for (const o of Array.isArray(s.organs) ? s.organs : []) {
    const r = typeof o === 'object' && o !== null ? (o as Record<string, unknown>) : undefined;
    if (!r || typeof r.label !== 'number' || typeof r.name !== 'string' || typeof r.voxels !== 'number'
      || typeof r.volumeMl !== 'number' || typeof r.meanValue !== 'number') continue;
    const confidence = typeof r.confidence === 'number' && r.confidence >= 0 && r.confidence <= 1 ? { confidence: r.confidence } : {};
    organs.push({ label: r.label, name: r.name, voxels: r.voxels, volumeMl: r.volumeMl, meanValue: r.meanValue, ...confidence });
  }
  const warnings = Array.isArray(s.warnings) ? s.warnings.filter((w): w is string => typeof w === 'string') : [];
  return { organs, warnings };
}
