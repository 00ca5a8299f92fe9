import { meanFinite } from './dice.js';

/** Mean and population standard deviation (numpy's `np.std`, ddof 0, as vox2vec reports over folds). */
export interface MeanSd {
  readonly mean: number;
  readonly sd: number;
  /** Values that entered (finite ones). */
  readonly n: number;
  /** NaN values left out (an HD95 with an empty side). */
  readonly skipped: number;
}

export function meanSd(values: readonly number[]): MeanSd {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { mean: NaN, sd: NaN, n: 0, skipped: values.length };
  const mean = finite.reduce((s, v) => s + v, 0) / finite.length;
  const sd = Math.sqrt(finite.reduce((s, v) => s + (v - mean) ** 2, 0) / finite.length);
  return { mean, sd, n: finite.length, skipped: values.length - finite.length };
}

/** Per-case metric values per class, collected over cases (or folds): plain data, so it serialises to report.json. */
export interface MetricAccumulator {
  readonly name: string;
  readonly classes: readonly number[];
  readonly cases: { readonly id: string; readonly values: readonly number[] }[];
}

export interface MetricSummary {
  readonly name: string;
  /** Per class over cases. */
  readonly perClass: readonly (MeanSd & { readonly classId: number })[];
  /** Each case's mean over classes, then mean +- sd over cases (the protocol's headline number). */
  readonly overall: MeanSd;
  readonly caseMeans: readonly { readonly id: string; readonly mean: number }[];
}

export function createAccumulator(name: string, classes: readonly number[]): MetricAccumulator {
  return { name, classes: [...classes], cases: [] };
}

/** Adds one case's per-class values (in the accumulator's class order); returns the same accumulator. */
export function accumulate(acc: MetricAccumulator, id: string, values: readonly number[]): MetricAccumulator {
  if (values.length !== acc.classes.length) throw new RangeError(`accumulate(${acc.name}): case ${id} has ${values.length} values for ${acc.classes.length} classes`);
  acc.cases.push({ id, values: [...values] });
  return acc;
}

export function summarize(acc: MetricAccumulator): MetricSummary {
  const perClass = acc.classes.map((classId, c) => ({ classId, ...meanSd(acc.cases.map((x) => x.values[c]!)) }));
  const caseMeans = acc.cases.map((x) => ({ id: x.id, mean: meanFinite(x.values) }));
  return { name: acc.name, perClass, overall: meanSd(caseMeans.map((x) => x.mean)), caseMeans };
}
