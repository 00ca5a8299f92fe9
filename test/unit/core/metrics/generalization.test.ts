import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareSlab, labelVoxels, meanOverLabels, organsInView } from '../../../../src/core/metrics/generalization.js';

test('organs in view: at least 1 mL of reference, background never counts', () => {
  const counts = labelVoxels(Uint8Array.from([0, 0, 1, 1, 1, 2, 6, 6, 6, 6]));
  assert.deepEqual([...counts], [[0, 2], [1, 3], [2, 1], [6, 4]]);
  // 0.3 mL per voxel: label 1 has 0.9 mL (out), label 6 1.2 mL (in), label 2 0.3 mL (out).
  assert.deepEqual(organsInView(counts, 0.3), [6]);
  assert.deepEqual(organsInView(counts, 0.5), [1, 6]);
  assert.deepEqual(organsInView(counts, 1), [1, 2, 6]);
});

test('slab against full scan: the means are over the slab\'s organs only, NaN scores left out', () => {
  const classes = [1, 2, 3, 4];
  assert.equal(meanOverLabels([0.2, 0.4, NaN, 0.8], classes, [2, 3, 4]), 0.6000000000000001);
  assert.ok(Number.isNaN(meanOverLabels([0.2], classes, [])));
  const c = compareSlab([0.45, 0.9, 0, 0], [0.9, 0.9, 0.8, 0.1], classes, [1, 2]);
  assert.equal(c.slabMeanDice, 0.675);
  assert.equal(c.fullMeanDice, 0.9);
  assert.equal(c.ratio, 0.75);
  assert.ok(Number.isNaN(compareSlab([0.5], [0], [1], [1]).ratio), 'no ratio against a full-scan Dice of 0');
});
