import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addGaussianNoise, adjustContrast, augmentPatch, drawAugmentation, extractBox, flipPatch, gaussianBlur, indexClassVoxels,
  rotateScalePatch, samplePatch, sampleStart, slabOf, type Patch, type TrainingVolume,
} from '../../../../src/core/data/index.js';
import { createRng } from '../../../../src/core/random/rng.js';

const dims = [40, 30, 20] as const;
function volume(): TrainingVolume {
  const n = dims[0] * dims[1] * dims[2];
  const image = new Float32Array(n).map((_, v) => (v % 97) / 97);
  const labels = new Uint8Array(n);
  const mask = new Uint8Array(n).fill(1);
  // A small class 3 blob and a big class 1 slab: anchored draws must still find class 3 half the time.
  for (let k = 0; k < 20; k++) for (let j = 0; j < 30; j++) for (let i = 0; i < 10; i++) labels[i + 40 * (j + 30 * k)] = 1;
  for (let k = 15; k < 17; k++) for (let j = 25; j < 27; j++) for (let i = 35; i < 37; i++) labels[i + 40 * (j + 30 * k)] = 3;
  return { dims, image, labels, bodyMask: mask };
}

test('class voxel index lists every voxel of every present class', () => {
  const v = volume();
  const idx = indexClassVoxels(v.labels);
  assert.deepEqual(idx.classes, [1, 3]);
  assert.equal(idx.voxels[0]!.length, 10 * 30 * 20);
  assert.equal(idx.voxels[1]!.length, 8);
  for (const n of idx.voxels[1]!) assert.equal(v.labels[n], 3);
});

test('patch starts stay in range, keep the anchor inside, and pad small volumes', () => {
  const rng = createRng(1, 1);
  for (let t = 0; t < 500; t++) {
    const s = sampleStart(rng, 50, 16, 3, 'inside');
    assert.ok(s >= 0 && s <= 3 && s + 16 > 3);
    const u = sampleStart(rng, 10, 16, undefined, 'inside');
    assert.ok(u >= -6 && u <= 0, 'a 10-voxel axis lies inside the 16-voxel patch');
  }
  assert.equal(sampleStart(rng, 50, 16, 20, 'centre'), 12);
  assert.equal(sampleStart(rng, 50, 16, 2, 'centre'), 0, 'centre placement is clamped into the volume');
});

test('seeded sampling: same seed same patches; about half anchored; anchored patches contain their class', () => {
  const v = volume();
  const idx = indexClassVoxels(v.labels);
  const a = samplePatch(createRng(7, 1), v, idx, { patchSize: [16, 16, 8] });
  const b = samplePatch(createRng(7, 1), v, idx, { patchSize: [16, 16, 8] });
  assert.deepEqual(a.start, b.start);
  assert.deepEqual(a.image, b.image);
  const rng = createRng(3, 1);
  let anchored = 0, class3 = 0;
  for (let t = 0; t < 400; t++) {
    const p = samplePatch(rng, v, idx, { patchSize: [16, 16, 8] });
    // The patch is exactly the volume's box at p.start.
    assert.deepEqual(p.labels, extractBox(v.labels, dims, p.start, p.size, 0));
    if (p.anchorClass === undefined) continue;
    anchored++;
    if (p.anchorClass === 3) class3++;
    assert.ok(p.labels.includes(p.anchorClass), 'the anchor class appears in the patch');
  }
  assert.ok(anchored > 160 && anchored < 240, `anchored ${anchored} of 400`);
  assert.ok(class3 > anchored * 0.35 && class3 < anchored * 0.65, `class 3 anchored ${class3} of ${anchored}`);
});

test('patches larger than the volume are padded with zeros', () => {
  const v = volume();
  const p = samplePatch(createRng(2, 1), v, indexClassVoxels(v.labels), { patchSize: [48, 32, 24], classProbability: 0 });
  assert.ok(p.start[0] <= 0 && p.start[0] >= -8);
  let maskSum = 0;
  for (const m of p.bodyMask) maskSum += m;
  assert.equal(maskSum, dims[0] * dims[1] * dims[2], 'the whole volume is inside, the rest is padding');
});

test('slab patches: a slab of the asked length holds the anchor, sits at the patch start along k like the sliding window, and pads the rest', () => {
  const v = volume();
  const idx = indexClassVoxels(v.labels);
  const rng = createRng(5, 1);
  let slabs = 0;
  for (let t = 0; t < 400; t++) {
    const p = samplePatch(rng, v, idx, { patchSize: [16, 16, 12], slabProbability: 0.5, slabSlices: [3, 8] });
    let rows = 0;
    const sliceHasBody = (k: number) => p.bodyMask.subarray(k * 256, (k + 1) * 256).some((m) => m === 1);
    for (let k = 0; k < 12; k++) if (sliceHasBody(k)) rows++;
    if (rows === 12) continue; // a whole-volume draw: a 20-slice volume fills the 12-slice patch
    slabs++;
    assert.ok(rows >= 3 && rows <= 8, `slab of ${rows} slices`);
    for (let k = 0; k < rows; k++) assert.ok(sliceHasBody(k), 'the slab starts at the patch start (no leading padding)');
    // The slab's slices are the volume's slices p.start[2] .. + rows, unchanged.
    const slab = slabOf(v, p.start[2], rows);
    assert.deepEqual(p.labels.subarray(0, rows * 256), extractBox(slab.labels, slab.dims, [p.start[0], p.start[1], 0], [16, 16, rows], 0));
    if (p.anchorClass !== undefined) assert.ok(p.labels.includes(p.anchorClass), 'the anchor class lies in the slab');
    for (let n = rows * 256; n < p.image.length; n++) assert.equal(p.image[n], 0, 'padding past the slab is 0, as the sliding window pads');
  }
  assert.ok(slabs > 150 && slabs < 250, `${slabs} slab draws of 400 at p = 0.5`);
  // Without slabs the draws are the same as before the option existed.
  const a = samplePatch(createRng(7, 1), v, idx, { patchSize: [16, 16, 8] });
  const b = samplePatch(createRng(7, 1), v, idx, { patchSize: [16, 16, 8], slabProbability: 0 });
  assert.deepEqual(a, b);
});

function patchOf(size: [number, number, number]): Patch {
  const n = size[0] * size[1] * size[2];
  return {
    size, start: [0, 0, 0], anchorClass: undefined,
    image: new Float32Array(n).map((_, v) => Math.sin(v * 0.37)),
    labels: new Uint8Array(n).map((_, v) => v % 5),
    bodyMask: new Uint8Array(n).fill(1),
  };
}

test('flips are involutions and move voxel (i,j,k) to (n-1-i, j, k)', () => {
  const p = patchOf([6, 5, 4]);
  const f = flipPatch(p, [true, false, false]);
  assert.equal(f.image[5], p.image[0]);
  assert.equal(f.labels[5 + 6 * (2 + 5 * 3)], p.labels[0 + 6 * (2 + 5 * 3)]);
  assert.deepEqual(flipPatch(f, [true, false, false]).image, p.image);
  const all = flipPatch(flipPatch(p, [true, true, true]), [true, true, true]);
  assert.deepEqual(all.labels, p.labels);
});

test('rotation by 90 degrees on an isotropic grid is an exact permutation; angle 0 scale 1 is the identity', () => {
  const p = patchOf([9, 9, 3]);
  const same = rotateScalePatch(p, 0, 1, [1, 1, 1]);
  same.image.forEach((v, n) => assert.ok(Math.abs(v - p.image[n]!) < 1e-6));
  assert.deepEqual(same.labels, p.labels);
  const r = rotateScalePatch(p, Math.PI / 2, 1, [1, 1, 1]);
  // Output (i, j) samples source x = c + (j - c), y = c - (i - c): a 90-degree turn.
  for (const [i, j, k] of [[0, 0, 0], [2, 7, 1], [8, 3, 2]] as const) {
    const src = j + 9 * ((8 - i) + 9 * k);
    assert.ok(Math.abs(r.image[i + 9 * (j + 9 * k)]! - p.image[src]!) < 1e-5);
    assert.equal(r.labels[i + 9 * (j + 9 * k)], p.labels[src]);
  }
  const zoomed = rotateScalePatch(p, 0.2, 1.1, [1, 1, 2]);
  for (const l of zoomed.labels) assert.ok(l < 5, 'nearest keeps labels within the original classes');
});

test('intensity transforms: contrast keeps the mean, blur keeps constants, noise has the asked sd and is seeded', () => {
  const p = patchOf([12, 12, 8]);
  const c = adjustContrast(p.image, 1.2);
  const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(c) - mean(p.image)) < 0.02);
  const flat = gaussianBlur(new Float32Array(p.image.length).fill(0.3), p.size, [1, 1, 0.5]);
  for (const v of flat) assert.ok(Math.abs(v - 0.3) < 1e-6);
  const blurred = gaussianBlur(p.image, p.size, [1, 1, 1]);
  const variance = (a: Float32Array): number => { const m = mean(a); return a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length; };
  assert.ok(variance(blurred) < variance(p.image) * 0.8, 'blur removes high frequencies');
  const zero = new Float32Array(20000);
  const noisy = addGaussianNoise(zero, 0.05, 99);
  assert.ok(Math.abs(Math.sqrt(variance(noisy)) - 0.05) < 0.002);
  assert.deepEqual(addGaussianNoise(zero, 0.05, 99), noisy);
});

test('drawn augmentations are reproducible and keep labels valid', () => {
  const p = patchOf([16, 16, 8]);
  const a = drawAugmentation(createRng(5, 2)), b = drawAugmentation(createRng(5, 2));
  assert.deepEqual(a, b);
  const rng = createRng(11, 2);
  let changed = 0;
  for (let t = 0; t < 20; t++) {
    const params = drawAugmentation(rng);
    const out = augmentPatch(p, params, [1, 1, 2]);
    assert.equal(out.image.length, p.image.length);
    for (const l of out.labels) assert.ok(l < 5);
    assert.deepEqual(augmentPatch(p, params, [1, 1, 2]).image, out.image, 'pure: same params, same output');
    if (out.image.some((v, n) => v !== p.image[n])) changed++;
  }
  assert.ok(changed > 10);
});
