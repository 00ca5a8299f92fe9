/**
 * Per-organ confidence (core/infer/confidence.ts): hand-made probability maps give the exact expected means (to half
 * a uint16 step), sigmoid and softmax channel layouts, and voxels post-processing removed do not count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIDENCE_SCALE, keepAssignedProbabilities, meanProbabilityByLabel } from '../../../../src/core/infer/confidence.js';
import { labelsFromProbabilities, argmaxLabels } from '../../../../src/core/infer/postprocess.js';

const HALF_STEP = 0.5 / CONFIDENCE_SCALE;
const close = (actual: number | undefined, expected: number, what: string): void => {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= HALF_STEP, `${what}: ${actual}, expected ${expected}`);
};

test('sigmoid: each label averages its own channel over its voxels', () => {
  // 6 voxels, 2 channels (labels 1 and 2), channel-major.
  const probabilities = Float32Array.from([
    0.9, 0.7, 0.2, 0.1, 0.6, 0.0, // channel 0 -> label 1
    0.1, 0.2, 0.8, 0.95, 0.55, 0.3, // channel 1 -> label 2
  ]);
  const labels = labelsFromProbabilities(probabilities, 2);
  assert.deepEqual([...labels], [1, 1, 2, 2, 1, 0]);
  const kept = new Uint16Array(6);
  keepAssignedProbabilities(probabilities, 2, labels, 'sigmoid', kept, 0);
  assert.equal(kept[5], 0, 'background keeps 0');
  const means = meanProbabilityByLabel(labels, kept);
  assert.deepEqual([...means.keys()], [1, 2]);
  close(means.get(1), (0.9 + 0.7 + 0.6) / 3, 'label 1');
  close(means.get(2), (0.8 + 0.95) / 2, 'label 2');
});

test('softmax: channel 0 is background, label l reads channel l; slices go in at their offset', () => {
  const slice = Float32Array.from([
    0.7, 0.1, 0.2, // background
    0.2, 0.8, 0.3, // label 1
    0.1, 0.1, 0.5, // label 2
  ]);
  const labels = argmaxLabels(slice, 3);
  assert.deepEqual([...labels], [0, 1, 2]);
  const kept = new Uint16Array(6);
  keepAssignedProbabilities(slice, 3, labels, 'softmax', kept, 3);
  const all = Uint8Array.from([0, 0, 0, ...labels]);
  const means = meanProbabilityByLabel(all, kept);
  close(means.get(1), 0.8, 'label 1');
  close(means.get(2), 0.5, 'label 2');
});

test('voxels set to background afterwards (largest component) leave the mean; relabelled values keep theirs', () => {
  const probabilities = Float32Array.from([1, 0.5, 0.25, 0.75]);
  const labels = Uint8Array.from([1, 1, 1, 1]);
  const kept = new Uint16Array(4);
  keepAssignedProbabilities(probabilities, 1, labels, 'sigmoid', kept, 0);
  close(meanProbabilityByLabel(labels, kept).get(1), 0.625, 'all four');
  labels[2] = 0; // an island removed
  labels[0] = 7; labels[1] = 7; labels[3] = 7; // label values written for class 1
  const means = meanProbabilityByLabel(labels, kept);
  assert.deepEqual([...means.keys()], [7]);
  close(means.get(7), 0.75, 'after removal');
  assert.throws(() => keepAssignedProbabilities(probabilities, 2, labels, 'sigmoid', kept, 0), /4 probabilities for 2 channels x 4 voxels/);
});
