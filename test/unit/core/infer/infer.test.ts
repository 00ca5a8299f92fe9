import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  argmaxLabels, centreOwnership, gaussianWeights, keepLargestComponents, labelsFromProbabilities, labelsToSourceGrid, sigmoid, slidingWindowInference, slidingWindowLabels,
  windowStarts, type BlendMode, type WindowBatch, type WindowPredictor,
} from '../../../../src/core/infer/index.js';
import { makePhantom } from '../../../../src/core/phantom/index.js';
import { gridSpacing, preprocessCase } from '../../../../src/core/preprocess/index.js';

test('window starts as MONAI dense_patch_slices: stride roi*(1-overlap), whole volume covered, last flush', () => {
  assert.deepEqual(windowStarts(10, 4, 0.5), [0, 2, 4, 6]);
  assert.deepEqual(windowStarts(11, 4, 0.5), [0, 2, 4, 6, 7]);
  assert.deepEqual(windowStarts(3, 4, 0.5), [0]);
  assert.deepEqual(windowStarts(128, 128, 0.5), [0]);
  assert.deepEqual(windowStarts(300, 128, 0.5), [0, 64, 128, 172]);
  for (let size = 1; size < 60; size++) for (const overlap of [0, 0.25, 0.5, 0.9]) {
    const s = windowStarts(size, 16, overlap);
    const covered = new Uint8Array(size);
    for (const start of s) for (let x = start; x < Math.min(size, start + 16); x++) covered[x] = 1;
    assert.ok(covered.every((c) => c === 1), `size ${size} overlap ${overlap}`);
    if (size >= 16) assert.equal(s[s.length - 1]! + 16, size);
  }
  assert.throws(() => windowStarts(10, 4, 1));
});

test('Gaussian importance: peak 1 at the centre, sigma = roi / 8', () => {
  const w = gaussianWeights(33);
  assert.equal(w[16], 1);
  assert.ok(Math.abs(gaussianWeights(40)[19.5 + 5 - 0.5]! - Math.exp(-((4.5 / 5) ** 2) / 2)) < 1e-7);
  const even = gaussianWeights(32);
  assert.ok(Math.abs(even[0]! - Math.exp(-((15.5 / 4) ** 2) / 2)) < 1e-7);
  assert.equal(even[15], even[16], 'symmetric about (n - 1) / 2');
});

test('centre blending: every position is owned by exactly one window', () => {
  const starts = windowStarts(50, 16, 0.5);
  const owners = new Uint8Array(50);
  starts.forEach((s, n) => centreOwnership(starts, n, 16).forEach((w, x) => { owners[s + x]! += w; }));
  assert.ok(owners.every((o) => o === 1));
});

// A translation-equivariant "network": channel 0 = 2 * x, channel 1 = 1 - x. Blending must reproduce it exactly.
const pointwise: WindowPredictor = async (batch) => {
  const n = batch.roi[0] * batch.roi[1] * batch.roi[2];
  const out = new Float32Array(batch.count * 2 * n);
  for (let b = 0; b < batch.count; b++) for (let v = 0; v < n; v++) {
    const x = batch.data[b * n + v]!;
    out[(b * 2) * n + v] = 2 * x;
    out[(b * 2 + 1) * n + v] = 1 - x;
  }
  return out;
};

for (const blend of ['gaussian', 'constant', 'centre'] as BlendMode[]) {
  test(`sliding window (${blend}) reproduces a pointwise network exactly, batched or not, with padding`, async () => {
    const dims = [21, 17, 9] as const;
    const image = new Float32Array(21 * 17 * 9).map((_, v) => Math.sin(v) * 0.5 + 0.5);
    let calls = 0;
    const counting: WindowPredictor = (b) => { calls++; return pointwise(b); };
    const out = await slidingWindowInference(image, dims, { roi: [8, 8, 12], overlap: 0.5, blend, outChannels: 2, batchSize: 3 }, counting);
    const single = await slidingWindowInference(image, dims, { roi: [8, 8, 12], overlap: 0.5, blend, outChannels: 2 }, pointwise);
    assert.deepEqual(out, single);
    assert.equal(calls, Math.ceil((5 * 4 * 1) / 3));
    for (let v = 0; v < image.length; v++) {
      assert.ok(Math.abs(out[v]! - 2 * image[v]!) < 1e-5);
      assert.ok(Math.abs(out[image.length + v]! - (1 - image[v]!)) < 1e-5);
    }
  });
}

test('centre blending takes each voxel from the window with the nearest centre', async () => {
  // The predictor answers each window's start along i everywhere in the window.
  const byStart: WindowPredictor = async (b) => {
    const n = b.roi[0] * b.roi[1] * b.roi[2];
    const out = new Float32Array(b.count * n);
    b.starts.forEach((s, w) => out.fill(s[0], w * n, (w + 1) * n));
    return out;
  };
  const out = await slidingWindowInference(new Float32Array(20), [20, 1, 1], { roi: [8, 1, 1], overlap: 0.5, blend: 'centre', outChannels: 1 }, byStart);
  // Windows start 0, 4, 8, 12 (centres 3.5, 7.5, 11.5, 15.5): boundaries half-way between centres.
  assert.deepEqual([...out], [0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12, 12, 12]);
});

test('a volume shorter than the window on every axis: one window at the origin, padded with 0 past the volume, labels exact', async () => {
  const dims = [5, 7, 3] as const, roi = [8, 8, 8] as const;
  const image = Float32Array.from({ length: 5 * 7 * 3 }, (_, v) => 0.1 + (v % 11) / 20);
  const seen: WindowBatch[] = [];
  // Identity predictor that records what the network was given.
  const identity: WindowPredictor = async (b) => {
    seen.push({ ...b, data: b.data.slice() });
    return b.data.slice();
  };
  for (const blend of ['gaussian', 'constant', 'centre'] as BlendMode[]) {
    seen.length = 0;
    const out = await slidingWindowInference(image, dims, { roi, overlap: 0.5, blend, outChannels: 1 }, identity);
    assert.equal(seen.length, 1, 'one window');
    assert.deepEqual(seen[0]!.starts, [[0, 0, 0]], 'the window starts at the volume origin: padding only past the far borders');
    const w = seen[0]!.data;
    for (let k = 0; k < 8; k++) for (let j = 0; j < 8; j++) for (let i = 0; i < 8; i++) {
      const inside = i < 5 && j < 7 && k < 3;
      assert.equal(w[i + 8 * (j + 8 * k)], inside ? image[i + 5 * (j + 7 * k)] : 0, `window voxel ${i},${j},${k}`);
    }
    for (let v = 0; v < image.length; v++) assert.ok(Math.abs(out[v]! - image[v]!) < 1e-6, `${blend}: voxel ${v} comes back unchanged`);
  }
  const labels = await slidingWindowLabels(image, dims, { roi, overlap: 0.25, outChannels: 1 }, identity, (blended) => Uint8Array.from(blended, (p) => (p > 0.42 ? 1 : 0)));
  assert.deepEqual([...labels], [...image].map((p) => (p > 0.42 ? 1 : 0)));
});

test('a predictor returning the wrong size is a clear error', async () => {
  await assert.rejects(slidingWindowInference(new Float32Array(8), [2, 2, 2], { roi: [2, 2, 2], outChannels: 3 }, async () => new Float32Array(8)), /returned 8 values/);
});

test('post-processing: sigmoid, threshold with body mask, argmax', () => {
  assert.ok(Math.abs(sigmoid(new Float32Array([0]))[0]! - 0.5) < 1e-7);
  // 3 voxels, 2 channels: v0 both high (channel 2 wins), v1 none >= 0.5, v2 high but outside the body.
  const probs = new Float32Array([0.6, 0.2, 0.9, /* ch2 */ 0.7, 0.4, 0.1]);
  assert.deepEqual([...labelsFromProbabilities(probs, 2, { bodyMask: new Uint8Array([1, 1, 0]) })], [2, 0, 0]);
  assert.deepEqual([...labelsFromProbabilities(probs, 2)], [2, 0, 1]);
  assert.deepEqual([...argmaxLabels(new Float32Array([1, 0, 0, /* c1 */ 0, 2, 0, /* c2 */ 0, 0, 3]), 3)], [0, 1, 2]);
});

test('labels map back onto the source grid: exact at the source spacing, close at 1x1x2-like spacing', () => {
  const { image, labels } = makePhantom({ size: 'small' });
  const spacing = gridSpacing(image.ijkToRas);
  const same = preprocessCase({ image, labels }, { spacingMm: spacing });
  const back = labelsToSourceGrid(same.labels!.data, same.labels!.dims, same.toSourceIjk, image.dims);
  assert.deepEqual(back, labels.data, 'reorientation and crop are undone exactly');
  const coarse = preprocessCase({ image, labels }, { spacingMm: [4, 4, 6] });
  const approx = labelsToSourceGrid(coarse.labels!.data, coarse.labels!.dims, coarse.toSourceIjk, image.dims);
  let agree = 0, organ = 0;
  labels.data.forEach((l, n) => { if (l > 0 || approx[n]! > 0) { organ++; if (l === approx[n]) agree++; } });
  assert.ok(agree / organ > 0.75, `agreement ${agree / organ}`);
});

test('keepLargestComponents: per class, islands go, the largest stays; diagonal contact joins; other classes untouched', () => {
  const dims: [number, number, number] = [8, 6, 5];
  const labels = new Uint8Array(8 * 6 * 5);
  const at = (i: number, j: number, k: number): number => i + 8 * (j + 6 * k);
  for (let i = 0; i < 4; i++) labels[at(i, 1, 1)] = 1; // 4 voxels of class 1
  labels[at(4, 2, 2)] = 1; // corner-touches (3,1,1): same component (26-connectivity)
  labels[at(7, 5, 4)] = 1; // an island of class 1
  labels[at(0, 5, 4)] = 2, labels[at(7, 0, 0)] = 2; // class 2: two single voxels, not filtered below
  const stats = keepLargestComponents(labels, dims, [1]);
  assert.equal(labels[at(4, 2, 2)], 1);
  assert.equal(labels[at(7, 5, 4)], 0);
  assert.equal(labels[at(0, 5, 4)], 2);
  assert.equal(labels[at(7, 0, 0)], 2);
  assert.deepEqual(stats, { components: { 1: 2 }, removedVoxels: 1 });
  assert.throws(() => keepLargestComponents(new Uint8Array(5), dims), /5 labels for a 8x6x5 grid/);
});

for (const blend of ['gaussian', 'centre'] as BlendMode[]) {
  test(`slidingWindowLabels (${blend}) decides each slice once, in order, with exactly the labels of the whole-volume blend`, async () => {
    const dims = [13, 11, 37] as const; // several window layers along k, the last one moved back flush
    const image = new Float32Array(13 * 11 * 37).map((_, v) => Math.sin(v * 0.37) * 0.5 + 0.5);
    // A position-dependent network, so overlapping windows disagree and the blend matters.
    const channels = 3;
    const net: WindowPredictor = async (batch) => {
      const n = batch.roi[0] * batch.roi[1] * batch.roi[2];
      const out = new Float32Array(batch.count * channels * n);
      for (let b = 0; b < batch.count; b++) for (let c = 0; c < channels; c++) for (let v = 0; v < n; v++) {
        out[(b * channels + c) * n + v] = Math.cos(batch.data[b * n + v]! * (c + 1) + v * 0.01 + batch.starts[b]![2] * c);
      }
      return out;
    };
    const options = { roi: [8, 8, 10] as const, overlap: 0.5, blend, outChannels: channels, batchSize: 2 };
    const whole = argmaxLabels(await slidingWindowInference(image, dims, options, net), channels);
    const decided: number[] = [];
    const sliced = await slidingWindowLabels(image, dims, options, net, (blended, k) => {
      decided.push(k);
      return argmaxLabels(blended, channels);
    });
    assert.deepEqual(decided, [...Array(37).keys()]);
    assert.deepEqual(sliced, whole);
    assert.ok(new Set(whole).size > 1, 'the test volume has more than one label');
  });
}
