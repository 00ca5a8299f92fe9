/**
 * The statistics of `anadiff compare` (issue 11; ../shared/notes/pretraining.md "Statistics for the comparison"):
 * per-arm mean +- sd over seeds, and for two arms the paired per-case differences (same seed, same test case) with a
 * bootstrap 95% confidence interval that resamples both the seeds and the cases, because both vary between reruns of
 * the experiment. A difference counts when the interval's lower bound is above 0.
 */
import { meanSd, type MeanSd } from '../metrics/accumulator.js';
import { createRng, nextInt } from '../random/rng.js';

/** One arm's scores: seed -> case id -> that case's mean Dice (over the organs in view). */
export type ArmScores = ReadonlyMap<number, ReadonlyMap<string, number>>;

export interface ArmSummary {
  /** Mean over cases within each seed, then mean +- sd over seeds (the arm's headline number). */
  readonly overSeeds: MeanSd;
  /** Mean +- sd over every (seed, case) pair. */
  readonly overCases: MeanSd;
  readonly seeds: readonly number[];
  readonly cases: number;
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

export function summarizeArm(scores: ArmScores): ArmSummary {
  const seeds = [...scores.keys()].sort((a, b) => a - b);
  const perSeed = seeds.map((s) => mean([...scores.get(s)!.values()]));
  const all = seeds.flatMap((s) => [...scores.get(s)!.values()]);
  return { overSeeds: meanSd(perSeed), overCases: meanSd(all), seeds, cases: scores.get(seeds[0]!)?.size ?? 0 };
}

/**
 * The paired differences a - b as a seeds x cases table, over the seeds and cases both arms have scored (a compare
 * built over several sittings may have more seeds for one arm than another; only pairs count).
 */
export function pairedDifferences(a: ArmScores, b: ArmScores): { seeds: number[]; cases: string[]; diff: number[][] } {
  const seeds = [...a.keys()].filter((s) => b.has(s)).sort((x, y) => x - y);
  const caseSets = seeds.map((s) => new Set([...a.get(s)!.keys()].filter((c) => b.get(s)!.has(c))));
  const cases = caseSets.length === 0 ? [] : [...caseSets[0]!].filter((c) => caseSets.every((set) => set.has(c))).sort();
  const diff = seeds.map((s) => cases.map((c) => a.get(s)!.get(c)! - b.get(s)!.get(c)!));
  return { seeds, cases, diff };
}

export interface BootstrapInterval {
  /** Mean paired difference over every (seed, case). */
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
  readonly level: number;
  readonly resamples: number;
  readonly seeds: number;
  readonly cases: number;
}

/**
 * Percentile bootstrap of the mean of `diff` (seeds x cases): each resample draws seeds with replacement and, for all
 * of them, cases with replacement (two-level, crossed), and takes the mean over the drawn grid. With one seed it is the
 * ordinary case bootstrap. Deterministic for a given `seed`.
 */
export function bootstrapMeanInterval(diff: readonly (readonly number[])[], options: { resamples?: number; level?: number; seed?: number } = {}): BootstrapInterval {
  const resamples = options.resamples ?? 10_000, level = options.level ?? 0.95;
  const nSeeds = diff.length, nCases = diff[0]?.length ?? 0;
  if (nSeeds === 0 || nCases === 0) return { mean: NaN, lo: NaN, hi: NaN, level, resamples: 0, seeds: nSeeds, cases: nCases };
  const rng = createRng(options.seed ?? 0, 11);
  const seedPick = new Int32Array(nSeeds), casePick = new Int32Array(nCases);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let s = 0; s < nSeeds; s++) seedPick[s] = nextInt(rng, nSeeds);
    for (let c = 0; c < nCases; c++) casePick[c] = nextInt(rng, nCases);
    let sum = 0;
    for (const s of seedPick) {
      const row = diff[s]!;
      for (const c of casePick) sum += row[c]!;
    }
    means[r] = sum / (nSeeds * nCases);
  }
  means.sort();
  const at = (q: number): number => means[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))]!;
  return {
    mean: mean(diff.flat()), lo: at((1 - level) / 2), hi: at(1 - (1 - level) / 2), level, resamples, seeds: nSeeds, cases: nCases,
  };
}

/**
 * Differences smaller than this are no difference: two segmenters that both miss an organ score eps-sized Dice values
 * (1e-5 / voxels) whose difference is rounding, not a result.
 */
export const DICE_RESOLUTION = 1e-6;

/** The verdict the issue asks to state plainly: a difference counts only when the whole interval lies above 0. */
export function verdictOf(ci: BootstrapInterval): 'better' | 'worse' | 'not shown' {
  if (ci.lo > DICE_RESOLUTION) return 'better';
  if (ci.hi < -DICE_RESOLUTION) return 'worse';
  return 'not shown';
}
