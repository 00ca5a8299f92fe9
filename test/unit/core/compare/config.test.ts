// The compare config: defaults filled, every bad field named with its path, and the committed configs parse.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { COMPARE_ARMS } from '../../../../src/core/compare/arms.js';
import { CompareConfigError, parseCompareConfig, SMOKE_CONFIG } from '../../../../src/core/compare/config.js';

const REPO_ROOT = resolve(__dirname, '../../../..');
const minimal = {
  format: 'anadiff-compare-config', version: 1, name: 't', arms: ['guided-aux', 'genesis'], seeds: [0], spacingMm: [3, 3, 4],
  data: { pretrain: [{ phantom: [1] }], train: [{ dir: 'a', take: 2 }], val: [{ image: 'v.nii.gz', labels: 'v_seg.nii.gz' }], test: [{ phantom: [4] }] },
  pretrain: { steps: 10, patch: [16, 16, 8] }, probe: { epochs: 1, stepsPerEpoch: 5, patch: [32, 32, 16] },
};

test('a minimal config gets the defaults (small preset, nonlinear probing, 10k bootstrap resamples)', () => {
  const c = parseCompareConfig(minimal, 'x.json');
  assert.equal(c.preset, 'small');
  assert.deepEqual(c.probe.modes, ['nonlinear']);
  assert.equal(c.probe.overlap, 0.5);
  assert.equal(c.pretrain.positives, 1024);
  assert.equal(c.bootstrap.resamples, 10_000);
  assert.deepEqual(c.data.train, [{ dir: 'a', take: 2 }]);
  assert.ok(Object.isFrozen(c));
});

test('bad fields are named with their path and the file', () => {
  const bad = (patch: Record<string, unknown>, pattern: RegExp): void =>
    assert.throws(() => parseCompareConfig({ ...minimal, ...patch }, 'x.json'), (e: Error) => e instanceof CompareConfigError && pattern.test(e.message), JSON.stringify(patch));
  bad({ format: 'other' }, /^x\.json: format must be "anadiff-compare-config"/);
  bad({ arms: ['genesis', 'nope'] }, /arms\[1\] must be one of guided-aux/);
  bad({ arms: ['genesis'] }, /arms must be a list of at least 2/);
  bad({ arms: ['genesis', 'genesis'] }, /arms must be a list without repeats/);
  bad({ seeds: [0, -1] }, /seeds\[1\] must be an integer >= 0/);
  bad({ pretrain: { steps: 0, patch: [16, 16, 8] } }, /pretrain\.steps must be a positive integer, got 0/);
  bad({ pretrain: { steps: 5, patch: [16, 16] } }, /pretrain\.patch must be \[i, j, k\]/);
  bad({ probe: { ...minimal.probe, modes: ['finetune'] } }, /probe\.modes\[0\] must be one of nonlinear, linear/);
  bad({ probe: { ...minimal.probe, overlap: 1 } }, /probe\.overlap must be in \[0, 1\)/);
  bad({ data: { ...minimal.data, test: [{ file: 'x' }] } }, /data\.test\[0\] must be one of \{"dir"\}/);
  bad({ data: { ...minimal.data, test: [] } }, /data\.test must be a list of at least 1/);
  bad({ spacingMm: [3, 0, 4] }, /spacingMm must be \[i, j, k\], each > 0 mm/);
});

test('the smoke config runs every arm; the committed CPU and paper configs parse and keep their test sets apart', () => {
  assert.deepEqual(SMOKE_CONFIG.arms, [...COMPARE_ARMS]);
  for (const name of ['compare-cpu.json', 'compare-paper.json']) {
    const path = join(REPO_ROOT, 'configs', name);
    const c = parseCompareConfig(JSON.parse(readFileSync(path, 'utf8')), path);
    assert.deepEqual([...c.arms].sort(), [...COMPARE_ARMS].sort(), name);
    assert.ok(c.seeds.length >= 3, `${name}: at least 3 seeds`);
    // The synthetic test cases come from label maps no training set is made from.
    const testMaps = new Set(c.synth.filter((s) => s.out.includes('/test/')).map((s) => s.labels));
    const trainMaps = c.synth.filter((s) => !s.out.includes('/test/')).map((s) => s.labels);
    assert.ok(testMaps.size >= 2 && trainMaps.every((m) => !testMaps.has(m)), `${name}: test label maps ${[...testMaps].join(', ')}`);
    const testCases = c.synth.filter((s) => s.out.includes('/test/')).reduce((n, s) => n + s.n, 0);
    assert.ok(testCases >= 24, `${name}: ${testCases} synthetic test cases`);
  }
});
