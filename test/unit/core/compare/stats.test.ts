// compare's statistics: paired differences over the seeds and cases both arms have, the two-level bootstrap interval
// (deterministic, constant data gives a point, a seed effect widens it), and the verdict's rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootstrapMeanInterval, pairedDifferences, summarizeArm, verdictOf, type ArmScores } from '../../../../src/core/compare/stats.js';
import { createRng, nextNormal } from '../../../../src/core/random/rng.js';

const scores = (table: Record<number, Record<string, number>>): ArmScores =>
  new Map(Object.entries(table).map(([s, cases]) => [Number(s), new Map(Object.entries(cases))]));

test('summarizeArm: mean over cases per seed, then mean +- population sd over seeds', () => {
  const s = summarizeArm(scores({ 0: { a: 0.5, b: 0.7 }, 1: { a: 0.7, b: 0.9 } }));
  assert.deepEqual(s.seeds, [0, 1]);
  assert.ok(Math.abs(s.overSeeds.mean - 0.7) < 1e-12 && Math.abs(s.overSeeds.sd - 0.1) < 1e-12);
  assert.equal(s.cases, 2);
});

test('pairedDifferences: only the seeds and cases both arms scored, as a seeds x cases table', () => {
  const a = scores({ 0: { x: 0.9, y: 0.8, z: 0.7 }, 1: { x: 0.6, y: 0.5, z: 0.4 }, 2: { x: 1, y: 1, z: 1 } });
  const b = scores({ 0: { x: 0.5, y: 0.5 }, 1: { x: 0.5, y: 0.5, z: 0.5 } });
  const d = pairedDifferences(a, b);
  assert.deepEqual(d.seeds, [0, 1]);
  assert.deepEqual(d.cases, ['x', 'y']);
  assert.deepEqual(d.diff.map((r) => r.map((v) => Math.round(v * 10) / 10)), [[0.4, 0.3], [0.1, 0]]);
});

test('bootstrap: constant differences give a point interval; the same seed gives the same interval', () => {
  const flat = bootstrapMeanInterval([[0.05, 0.05, 0.05], [0.05, 0.05, 0.05]], { resamples: 500 });
  assert.ok(Math.abs(flat.lo - 0.05) < 1e-12 && Math.abs(flat.hi - 0.05) < 1e-12);
  const rng = createRng(3);
  const diff = [Array.from({ length: 24 }, () => 0.02 + 0.05 * nextNormal(rng))];
  assert.deepEqual(bootstrapMeanInterval(diff, { seed: 7, resamples: 2000 }), bootstrapMeanInterval(diff, { seed: 7, resamples: 2000 }));
  assert.notDeepEqual(bootstrapMeanInterval(diff, { seed: 7, resamples: 2000 }), bootstrapMeanInterval(diff, { seed: 8, resamples: 2000 }));
});

test('bootstrap over cases (one seed) matches the normal approximation mean +- 1.96 sd / sqrt(n)', () => {
  const rng = createRng(5);
  const n = 400;
  const row = Array.from({ length: n }, () => 0.03 + 0.05 * nextNormal(rng));
  const ci = bootstrapMeanInterval([row], { resamples: 10_000 });
  const mean = row.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(row.reduce((s, x) => s + (x - mean) ** 2, 0) / n);
  const half = 1.96 * sd / Math.sqrt(n);
  assert.ok(Math.abs(ci.mean - mean) < 1e-12);
  assert.ok(Math.abs(ci.lo - (mean - half)) < 0.1 * half, `lo ${ci.lo} vs ${mean - half}`);
  assert.ok(Math.abs(ci.hi - (mean + half)) < 0.1 * half, `hi ${ci.hi} vs ${mean + half}`);
});

test('bootstrap resamples seeds too: a seed effect widens the interval beyond the cases-only one', () => {
  const rng = createRng(9);
  const seedShift = [0.06, -0.04, 0.01];
  const caseNoise = Array.from({ length: 30 }, () => 0.02 * nextNormal(rng));
  const diff = seedShift.map((s) => caseNoise.map((c) => 0.01 + s + c + 0.005 * nextNormal(rng)));
  const twoLevel = bootstrapMeanInterval(diff, { resamples: 4000 });
  // The same numbers with the seed structure thrown away (one row of 90 cases).
  const pooled = bootstrapMeanInterval([diff.flat()], { resamples: 4000 });
  assert.ok(twoLevel.hi - twoLevel.lo > 1.5 * (pooled.hi - pooled.lo), `two-level ${twoLevel.hi - twoLevel.lo}, pooled ${pooled.hi - pooled.lo}`);
  assert.equal(twoLevel.seeds, 3);
  assert.equal(twoLevel.cases, 30);
});

test('verdict: better only when the whole interval is above 0 (beyond eps-sized Dice noise), worse below, else not shown', () => {
  const ci = (lo: number, hi: number) => ({ mean: (lo + hi) / 2, lo, hi, level: 0.95, resamples: 1, seeds: 1, cases: 1 });
  assert.equal(verdictOf(ci(0.001, 0.05)), 'better');
  assert.equal(verdictOf(ci(-0.001, 0.05)), 'not shown');
  assert.equal(verdictOf(ci(-0.05, -0.01)), 'worse');
  assert.equal(verdictOf(ci(1e-9, 2e-9)), 'not shown');
  assert.ok(Number.isNaN(bootstrapMeanInterval([]).lo));
});
