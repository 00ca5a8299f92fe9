import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleCropPair, type CoordsVolume, type CropPairOptions, type CropView } from '../../../../src/core/coords/crop-pairs.js';
import { createRng } from '../../../../src/core/random/rng.js';

const spacing: [number, number, number] = [1.5, 1.5, 3];
const dims: [number, number, number] = [60, 50, 40];
/** A linear intensity in millimetres (trilinear resampling reproduces it exactly) and an ellipsoid body. */
const f = (x: number, y: number, z: number): number => 0.01 * x + 0.02 * y + 0.03 * z;

function volume(bodyRadius = 0.8): CoordsVolume {
  const n = dims[0] * dims[1] * dims[2];
  const image = new Float32Array(n);
  const body = new Uint8Array(n);
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) {
    const v = i + dims[0] * (j + dims[1] * k);
    image[v] = f(i * spacing[0], j * spacing[1], k * spacing[2]);
    const r = ((i - 30) / 30) ** 2 + ((j - 25) / 25) ** 2 + ((k - 20) / 20) ** 2;
    body[v] = r < bodyRadius * bodyRadius ? 1 : 0;
  }
  return { image, body, dims, spacing };
}

const options: CropPairOptions = { patch: [24, 20, 16], minSpacing: [1, 1, 1.5], maxSpacing: [4, 4, 6], bodySlots: 200, backgroundSlots: 100, padValue: -1 };
const mmOf = (view: CropView, flat: number): number[] => {
  const [px, py] = view.dims;
  const c = [flat % px, Math.floor(flat / px) % py, Math.floor(flat / (px * py))];
  return c.map((x, a) => view.startMm[a]! + x * view.spacing[a]!);
};

test('a crop pair is a function of the seed', () => {
  const v = volume();
  const a = sampleCropPair(createRng(5), v, options);
  const b = sampleCropPair(createRng(5), v, options);
  const c = sampleCropPair(createRng(6), v, options);
  assert.deepEqual(a.idx, b.idx);
  assert.deepEqual(a.views[0].image, b.views[0].image);
  assert.notDeepEqual(a.idx, c.idx);
});

test('views: spacings in range and never finer than the volume; intensities resampled exactly, air outside', () => {
  const v = volume();
  for (let seed = 0; seed < 20; seed++) {
    const pair = sampleCropPair(createRng(seed), v, options);
    for (const view of pair.views) {
      for (let a = 0; a < 3; a++) {
        assert.ok(view.spacing[a]! >= Math.max(options.minSpacing[a]!, spacing[a]!) - 1e-9 && view.spacing[a]! <= Math.max(options.maxSpacing[a]!, spacing[a]!) + 1e-9);
      }
      let inside = 0;
      for (let flat = 0; flat < view.image.length; flat += 7) {
        const [x, y, z] = mmOf(view, flat) as [number, number, number];
        const within = [x, y, z].every((m, a) => m >= 0 && m <= (dims[a]! - 1) * spacing[a]!);
        if (within) {
          inside++;
          assert.ok(Math.abs(view.image[flat]! - f(x, y, z)) < 1e-4, `seed ${seed}: ${view.image[flat]} vs ${f(x, y, z)} at ${[x, y, z]}`);
        } else assert.equal(view.image[flat], -1);
      }
      assert.ok(inside > 0);
    }
  }
});

test('shared slots hold the same physical body voxel in both views; background slots are outside the body', () => {
  const v = volume();
  let withShared = 0;
  for (let seed = 0; seed < 40; seed++) {
    const anchor = seed < 20 ? 'body' : 'image';
    const pair = sampleCropPair(createRng(seed), v, { ...options, anchor });
    const [v1, v2] = pair.views;
    let filled = 0;
    for (let s = 0; s < options.bodySlots; s++) {
      if (!pair.shared[s]) continue;
      filled++;
      const a = mmOf(v1, pair.idx[0][s]!), b = mmOf(v2, pair.idx[1][s]!);
      for (let ax = 0; ax < 3; ax++) assert.ok(Math.abs(a[ax]! - b[ax]!) <= v2.spacing[ax]! / 2 + 1e-6, `seed ${seed} slot ${s} axis ${ax}: ${a[ax]} vs ${b[ax]}`);
      assert.equal(v1.body[pair.idx[0][s]!], 1);
      assert.equal(v2.body[pair.idx[1][s]!], 1);
    }
    // A body anchor lies in both views, so some body always overlaps; an image anchor (APE) may fall in the air.
    if (anchor === 'body') assert.ok(filled > 0, `seed ${seed}: a body anchor lies in both views, so some body overlaps`);
    else if (filled > 0) withShared++;
    for (const [w, view] of pair.views.entries()) {
      for (let s = options.bodySlots; s < options.bodySlots + options.backgroundSlots; s++) if (pair.weight[w]![s]) assert.equal(view.body[pair.idx[w]![s]!], 0);
    }
  }
  assert.ok(withShared >= 10, `image anchors: only ${withShared} of 20 pairs shared body voxels`);
});

test('positions are the slots\' millimetres on the volume\'s grid', () => {
  const pair = sampleCropPair(createRng(3), volume(), options);
  for (const v of [0, 1] as const) {
    for (let s = 0; s < options.bodySlots + options.backgroundSlots; s++) {
      if (!pair.weight[v][s]) continue;
      const expected = mmOf(pair.views[v], pair.idx[v][s]!);
      for (let a = 0; a < 3; a++) assert.ok(Math.abs(pair.mm[v][s * 3 + a]! - expected[a]!) < 1e-3, `view ${v + 1} slot ${s}`);
    }
  }
});

test('a small body leaves shared slots empty (weight 0) rather than inventing voxels', () => {
  const pair = sampleCropPair(createRng(1), volume(0.15), { ...options, bodySlots: 5000 });
  const filled = pair.shared.reduce((a, b) => a + b, 0);
  assert.ok(filled < 5000, `${filled} shared slots filled`);
  for (let s = 0; s < 5000; s++) assert.equal(pair.weight[0][s], pair.shared[s]);
});
