// compare's report from run scores: the scratch arm sits in every probing mode's table, differences are given for the
// guided arms only, missing (arm, seed) pairs are listed, organs count only where in view, and the figures hold the data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCompareConfig } from '../../../../src/core/compare/config.js';
import { dicePerArmSvg, lossCurvesSvg, movingAverage, perOrganSvg } from '../../../../src/core/compare/plots.js';
import { buildCompareReport, compareMarkdown, type RunScores } from '../../../../src/core/compare/report.js';

const config = parseCompareConfig({
  format: 'anadiff-compare-config', version: 1, name: 't', arms: ['guided-aux', 'genesis', 'scratch'], seeds: [0, 1], spacingMm: [3, 3, 4],
  data: { pretrain: [{ phantom: [1] }], train: [{ phantom: [1] }], val: [{ phantom: [2] }], test: [{ phantom: [4, 5] }] },
  pretrain: { steps: 10, patch: [16, 16, 8] }, probe: { modes: ['nonlinear', 'linear'], epochs: 1, stepsPerEpoch: 5, patch: [32, 32, 16] },
  bootstrap: { resamples: 500 },
}, 't.json');
const classNames = ['liver', 'spleen'];
// Case "a" shows both organs, case "b" only the liver (the spleen's Dice 1 there is "absent in both" and must not count).
const run = (arm: RunScores['arm'], seed: number, training: RunScores['training'], liver: number, spleen: number): RunScores => ({
  arm, seed, training,
  cases: [{ id: 'a', dice: [liver, spleen], inView: [0, 1], meanDice: (liver + spleen) / 2 }, { id: 'b', dice: [liver, 1], inView: [0], meanDice: liver }],
});
const runs: RunScores[] = [
  run('guided-aux', 0, 'nonlinear', 0.9, 0.7), run('guided-aux', 1, 'nonlinear', 0.8, 0.6),
  run('genesis', 0, 'nonlinear', 0.6, 0.5), run('genesis', 1, 'nonlinear', 0.7, 0.4),
  run('scratch', 0, 'scratch', 0.5, 0.5),
  run('guided-aux', 0, 'linear', 0.5, 0.3),
];

test('tables per mode: scratch beside each probe, guided differences, missing pairs listed', () => {
  const report = buildCompareReport(config, classNames, runs);
  const [nonlinear, linear] = report.tables;
  assert.deepEqual(nonlinear!.arms.map((a) => [a.arm, a.training]), [['guided-aux', 'nonlinear'], ['genesis', 'nonlinear'], ['scratch', 'scratch']]);
  assert.deepEqual(linear!.arms.map((a) => a.arm), ['guided-aux', 'scratch']);
  assert.deepEqual(nonlinear!.differences.map((d) => `${d.guided}-${d.baseline}`), ['guided-aux-genesis', 'guided-aux-scratch']);
  const vsGenesis = nonlinear!.differences[0]!;
  // Per seed and case: seed 0: a 0.8 - 0.55, b 0.9 - 0.6; seed 1: a 0.7 - 0.55, b 0.8 - 0.7.
  assert.ok(Math.abs(vsGenesis.interval.mean - (0.25 + 0.3 + 0.15 + 0.1) / 4) < 1e-12);
  assert.equal(vsGenesis.verdict, 'better');
  assert.equal(nonlinear!.differences[1]!.interval.seeds, 1, 'scratch has seed 0 only: one seed pairs');
  assert.deepEqual(report.missing, ['scratch seed 1']);
  // The spleen of case b (absent in both, Dice 1) is left out: guided-aux's spleen is the mean of case a's only.
  assert.ok(Math.abs(nonlinear!.arms[0]!.perOrgan.spleen! - 0.65) < 1e-12);
  assert.deepEqual(report.testCases, ['a', 'b']);
  const md = compareMarkdown(report);
  assert.match(md, /\| guided-aux \| genesis \| \+20\.0 \| \[\+\d+\.\d, \+\d+\.\d\] \| 2 seed\(s\) x 2 case\(s\) \| \*\*guided-aux better\*\*/);
  assert.match(md, /Not yet run: scratch seed 1/);
  assert.match(md, /\| scratch \| scratch \(all weights\) \| 0 \|/);
});

test('figures: one bar per arm with its value, one heat-map cell per arm and organ, one curve per loss', () => {
  const table = buildCompareReport(config, classNames, runs).tables[0]!;
  const bars = dicePerArmSvg(table, 'Dice');
  assert.ok(bars.startsWith('<svg') && bars.trimEnd().endsWith('</svg>'));
  assert.equal((bars.match(/<rect x=/g) ?? []).length, 3);
  assert.match(bars, />80\.0</, 'guided-aux: the mean of its seeds\' 0.85 and 0.75');
  const heat = perOrganSvg(table, classNames, 'organs');
  assert.equal((heat.match(/<rect x=/g) ?? []).length, 3 * 2);
  const curves = lossCurvesSvg([{ name: 'diffusion', losses: [2, 1.5, 1] }, { name: 'genesis <&>', losses: [0.1, 0.05] }, { name: 'empty', losses: [] }], 'loss');
  assert.equal((curves.match(/<polyline/g) ?? []).length, 2);
  assert.match(curves, /genesis &lt;&amp;&gt;/, 'names are escaped');
  assert.deepEqual(movingAverage([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5]);
});
