import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { assembleCoordsBatch } from '../../../../src/core/coords/batch.js';
import { sampleCropPair, type CoordsVolume, type CropPairOptions } from '../../../../src/core/coords/crop-pairs.js';
import { createRng } from '../../../../src/core/random/rng.js';

const dims: [number, number, number] = [48, 40, 32];
const spacing: [number, number, number] = [2, 2, 3];
function volume(): CoordsVolume {
  const n = dims[0] * dims[1] * dims[2];
  const image = new Float32Array(n), body = new Uint8Array(n);
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) {
    const v = i + dims[0] * (j + dims[1] * k);
    image[v] = (i + 2 * j + 3 * k) / 200;
    body[v] = ((i - 24) / 20) ** 2 + ((j - 20) / 16) ** 2 + ((k - 16) / 14) ** 2 < 1 ? 1 : 0;
  }
  return { image, body, dims, spacing };
}
const options: CropPairOptions = { patch: [16, 12, 8], minSpacing: [2, 2, 3], maxSpacing: [4, 4, 6], bodySlots: 30, backgroundSlots: 10, padValue: 0, anchor: 'body' };

const pairsOf = (seed: number, count: number) => {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => sampleCropPair(rng, volume(), options));
};

test('slot order: every pair\'s body slots, then every pair\'s background slots; map indices at index // 4 per crop', () => {
  const pairs = pairsOf(1, 3);
  const batch = assembleCoordsBatch(pairs, options);
  const [px, py, pz] = options.patch;
  const mapVoxels = (px / 4) * (py / 4) * (pz / 4);
  const perView = 3 * (options.bodySlots + options.backgroundSlots);
  assert.equal(batch.idx1.length, perView);
  assert.equal(batch.image.length, 6 * px * py * pz);
  const check = (v: 0 | 1, p: number, s: number, slot: number) => {
    const flat = pairs[p]!.idx[v][s]!;
    const x = flat % px, y = Math.floor(flat / px) % py, z = Math.floor(flat / (px * py));
    const crop = v * 3 + p;
    const expected = crop * mapVoxels + Math.floor(x / 4) + (px / 4) * (Math.floor(y / 4) + (py / 4) * Math.floor(z / 4));
    assert.equal(Number((v === 0 ? batch.idx1 : batch.idx2)[slot]), expected, `view ${v + 1} pair ${p} slot ${s}`);
    assert.equal((v === 0 ? batch.w1 : batch.w2)[slot], pairs[p]!.weight[v][s]);
  };
  for (let p = 0; p < 3; p++) {
    for (let s = 0; s < options.bodySlots; s++) for (const v of [0, 1] as const) check(v, p, s, p * options.bodySlots + s);
    for (let s = 0; s < options.backgroundSlots; s++) for (const v of [0, 1] as const) check(v, p, options.bodySlots + s, 3 * options.bodySlots + p * options.backgroundSlots + s);
    assert.deepEqual([...batch.shared.subarray(p * options.bodySlots, (p + 1) * options.bodySlots)], [...pairs[p]!.shared]);
  }
  // Images: view 1 of pair 1 is the second crop, view 2 of pair 0 the fourth.
  assert.deepEqual(batch.image.subarray(px * py * pz, 2 * px * py * pz), pairs[1]!.views[0].image);
  assert.deepEqual(batch.image.subarray(3 * px * py * pz, 4 * px * py * pz), pairs[0]!.views[1].image);
});

test('positions: standardised over all pairs by view 1\'s mean and unbiased per-axis sd (APE); pooled keeps mm ratios', () => {
  const pairs = pairsOf(2, 4);
  const batch = assembleCoordsBatch(pairs, options, 'per-axis');
  const filled = [...batch.w1.keys()].filter((s) => batch.w1[s]);
  for (let a = 0; a < 3; a++) {
    const values = filled.map((s) => batch.pos1[s * 3 + a]!);
    const mean = values.reduce((x, y) => x + y, 0) / values.length;
    const sd = Math.sqrt(values.reduce((x, y) => x + (y - mean) ** 2, 0) / (values.length - 1));
    assert.ok(Math.abs(mean) < 1e-4, `axis ${a} mean ${mean}`);
    assert.ok(Math.abs(sd - 1) < 1e-4, `axis ${a} sd ${sd}`);
  }
  // The shared slots hold the same physical point, so their standardised positions agree to half a view-2 voxel.
  for (let s = 0; s < batch.shared.length; s++) {
    if (!batch.shared[s]) continue;
    for (let a = 0; a < 3; a++) assert.ok(Math.abs(batch.pos1[s * 3 + a]! - batch.pos2[s * 3 + a]!) * batch.sd[a]! <= 3 + 1e-3);
  }
  const pooled = assembleCoordsBatch(pairs, options, 'pooled');
  assert.equal(pooled.sd[0], pooled.sd[2]);
  const [s1, s2] = filled;
  const mmDistance = Math.hypot(...[0, 1, 2].map((a) => pairs[0]!.mm[0][s1! * 3 + a]! - pairs[0]!.mm[0][s2! * 3 + a]!));
  const stdDistance = Math.hypot(...[0, 1, 2].map((a) => pooled.pos1[s1! * 3 + a]! - pooled.pos1[s2! * 3 + a]!));
  assert.ok(Math.abs(stdDistance * pooled.sd[0] - mmDistance) < 1e-3 * Math.max(1, mmDistance));
});
