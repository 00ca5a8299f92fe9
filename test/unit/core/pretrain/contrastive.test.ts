// vox2vec's sampling (src/core/pretrain/contrastive.ts): a positive pair is the same voxel of the CT in both views
// (checked on a volume whose every voxel holds a distinct value, and by position), the views overlap but differ,
// empty slots are weighted 0, and the level-l gather rows read the feature at index >> l of the right crop.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleCropPair, type CoordsVolume } from '../../../../src/core/coords/crop-pairs.js';
import { contrastiveCropOptions, levelIndex, sampleContrastiveBatch, type ContrastiveSampling } from '../../../../src/core/pretrain/contrastive.js';
import { createRng } from '../../../../src/core/random/rng.js';

const dims: [number, number, number] = [40, 36, 20];
const spacing: [number, number, number] = [1.5, 1.5, 3];
const n = dims[0] * dims[1] * dims[2];

/** Voxel v holds (v + 1) / n: distinct values, exactly representable order; an ellipsoid body. */
function volume(radius = 0.8): CoordsVolume {
  const image = new Float32Array(n), body = new Uint8Array(n);
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) {
    const v = i + dims[0] * (j + dims[1] * k);
    image[v] = (v + 1) / n;
    body[v] = ((i - 20) / 20) ** 2 + ((j - 18) / 18) ** 2 + ((k - 10) / 10) ** 2 < radius * radius ? 1 : 0;
  }
  return { image, body, dims, spacing };
}

const sampling: ContrastiveSampling = { patch: [16, 16, 8], pairs: 3, positives: 100, levels: 3 };
const crop = sampling.patch[0] * sampling.patch[1] * sampling.patch[2];
const voxelOf = (value: number): number => Math.round(value * n) - 1;

test('positive pairs are the same physical point: same millimetres, same CT voxel, body in both views', () => {
  const v = volume();
  let total = 0;
  for (let seed = 0; seed < 10; seed++) {
    const pair = sampleCropPair(createRng(seed), v, contrastiveCropOptions(v, sampling));
    const [a, b] = pair.views;
    assert.deepEqual(a.spacing, spacing, 'one scale: the grid’s');
    assert.notDeepEqual(a.startMm, b.startMm, `seed ${seed}: two different crops`);
    let filled = 0;
    for (let s = 0; s < sampling.positives; s++) {
      if (!pair.shared[s]) continue;
      filled++;
      for (let c = 0; c < 3; c++) assert.equal(pair.mm[0][s * 3 + c], pair.mm[1][s * 3 + c], `seed ${seed} slot ${s}: same mm`);
      const [f1, f2] = [pair.idx[0][s]!, pair.idx[1][s]!];
      assert.equal(voxelOf(a.image[f1]!), voxelOf(b.image[f2]!), `seed ${seed} slot ${s}: same CT voxel`);
      assert.ok(Math.abs(a.image[f1]! - b.image[f2]!) < 1e-6, 'not interpolated between voxels');
      assert.equal(v.body[voxelOf(a.image[f1]!)], 1);
      assert.ok(a.body[f1] && b.body[f2]);
    }
    for (let s = filled; s < sampling.positives; s++) assert.equal(pair.shared[s], 0, 'filled slots come first');
    assert.ok(filled > 0, `seed ${seed}: a body anchor leaves shared body voxels`);
    total += filled;
  }
  assert.ok(total > 0.8 * 10 * sampling.positives, `${total} positives over 10 pairs`);
});

test('a batch: pair p view 1 is crop p, view 2 crop P + p; slot s of both views holds the same CT voxel; distinct voxels per pair', () => {
  const v = volume();
  const b = sampleContrastiveBatch(createRng(3), v, sampling);
  assert.equal(b.image.length, 2 * sampling.pairs * crop);
  assert.equal(b.weights.length, sampling.pairs * sampling.positives);
  for (let p = 0; p < sampling.pairs; p++) {
    const seen = new Set<number>();
    for (let t = 0; t < sampling.positives; t++) {
      const slot = p * sampling.positives + t;
      assert.equal(b.weights[slot], 1);
      const x1 = b.image[p * crop + b.voxels[0][slot]!]!, x2 = b.image[(sampling.pairs + p) * crop + b.voxels[1][slot]!]!;
      assert.equal(voxelOf(x1), voxelOf(x2), `pair ${p} slot ${t}`);
      seen.add(voxelOf(x1));
      assert.equal(b.idx1[0]![slot], BigInt(p * crop + b.voxels[0][slot]!), 'level 0 is the crop voxel itself');
      assert.equal(b.idx2[0]![slot], BigInt((sampling.pairs + p) * crop + b.voxels[1][slot]!));
    }
    assert.equal(seen.size, sampling.positives, 'no voxel twice in a pair');
  }
});

test('a small body leaves empty slots with weight 0; the batch is a function of the seed', () => {
  const v = volume(0.25);
  const b = sampleContrastiveBatch(createRng(1), v, { ...sampling, positives: 1000 });
  const filled = b.weights.reduce((s, w) => s + w, 0);
  assert.ok(filled > 0 && filled < b.weights.length, `filled ${filled}`);
  for (let s = 0; s < b.weights.length; s++) assert.ok(b.weights[s] === 0 || b.weights[s] === 1);
  assert.deepEqual(sampleContrastiveBatch(createRng(1), v, sampling), sampleContrastiveBatch(createRng(1), v, sampling));
  assert.notDeepEqual(sampleContrastiveBatch(createRng(1), v, sampling).voxels, sampleContrastiveBatch(createRng(2), v, sampling).voxels);
});

test('levelIndex reads level l at index >> l, rows of crop c after c whole level maps', () => {
  const patch = [8, 8, 4] as const;
  const flat = 3 + 8 * (5 + 8 * 2); // voxel (3, 5, 2)
  assert.equal(levelIndex(patch, 0, flat, 0), flat);
  assert.equal(levelIndex(patch, 1, flat, 1), 4 * 4 * 2 + 1 + 4 * (2 + 4 * 1)); // (1, 2, 1) in a 4x4x2 map, crop 1
  assert.equal(levelIndex(patch, 2, flat, 2), 2 * 2 * 2 * 1 + 0 + 2 * (1 + 2 * 0)); // (0, 1, 0) in a 2x2x1 map, crop 2
  assert.throws(() => sampleContrastiveBatch(createRng(0), volume(), { ...sampling, patch: [10, 16, 8] }), /multiples of 4/);
});
