import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  accumulate, createAccumulator, diceBinary, dicePerClass, hausdorffDistance, percentile, squaredDistanceToFeatures, summarize, surfaceVoxels,
} from '../../../../src/core/metrics/index.js';

test('Dice: eps 1e-5, absent from both scores 1, one-sided absence scores ~0', () => {
  const pred = new Uint8Array([1, 1, 2, 0]), ref = new Uint8Array([1, 0, 0, 0]);
  const [d1, d2, d3] = dicePerClass(pred, ref, [1, 2, 3]);
  assert.ok(Math.abs(d1! - (2 + 1e-5) / (3 + 1e-5)) < 1e-12);
  assert.ok(d2! < 1e-5);
  assert.equal(d3, 1);
  assert.equal(diceBinary(new Uint8Array(4), new Uint8Array(4)), 1);
  assert.throws(() => dicePerClass(pred, new Uint8Array(3)));
});

test('distance transform is exact with anisotropic spacing', () => {
  const dims = [7, 5, 3] as const;
  const f = new Uint8Array(105);
  f[3 + 7 * (2 + 5 * 1)] = 1;
  const d = squaredDistanceToFeatures(f, dims, [0.5, 2, 3]);
  for (let k = 0; k < 3; k++) for (let j = 0; j < 5; j++) for (let i = 0; i < 7; i++) {
    const expected = ((i - 3) * 0.5) ** 2 + ((j - 2) * 2) ** 2 + ((k - 1) * 3) ** 2;
    assert.ok(Math.abs(d[i + 7 * (j + 5 * k)]! - expected) < 1e-9);
  }
});

test('HD95: two parallel plates 4 voxels apart are 4 * spacing apart; empty side is NaN', () => {
  const dims = [10, 10, 10] as const;
  const a = new Uint8Array(1000), b = new Uint8Array(1000);
  for (let j = 0; j < 10; j++) for (let i = 0; i < 10; i++) { a[i + 10 * (j + 10 * 2)] = 1; b[i + 10 * (j + 10 * 6)] = 1; }
  assert.ok(Math.abs(hausdorffDistance(a, b, dims, [1, 1, 2.5]) - 10) < 1e-9);
  assert.equal(hausdorffDistance(a, a, dims, [1, 1, 1]), 0);
  assert.ok(Number.isNaN(hausdorffDistance(a, new Uint8Array(1000), dims, [1, 1, 1])));
  assert.equal(surfaceVoxels(new Uint8Array(27).fill(1), [3, 3, 3]).reduce((s, v) => s + v, 0), 26, 'only the centre is interior');
  assert.equal(percentile(Float64Array.from([1, 2, 3, 4, 5]), 95), 4.8, 'numpy linear percentile');
});

test('accumulator: per-class and per-case mean +- population sd, NaN skipped and counted', () => {
  const acc = createAccumulator('hd95', [1, 2]);
  accumulate(acc, 'a', [1, NaN]);
  accumulate(acc, 'b', [3, 4]);
  const s = summarize(acc);
  assert.deepEqual(s.perClass[0], { classId: 1, mean: 2, sd: 1, n: 2, skipped: 0 });
  assert.deepEqual(s.perClass[1], { classId: 2, mean: 4, sd: 0, n: 1, skipped: 1 });
  assert.deepEqual(s.caseMeans, [{ id: 'a', mean: 1 }, { id: 'b', mean: 3.5 }]);
  assert.equal(s.overall.mean, 2.25);
  assert.throws(() => accumulate(acc, 'c', [1]), RangeError);
});
