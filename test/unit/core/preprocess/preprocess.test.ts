import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { makePhantom } from '../../../../src/core/phantom/index.js';
import {
  bodyBoundingBox, bodyMask, clipAndScaleHu, cropGrid, gridSpacing, preprocessCase, PreprocessError, presentClasses,
  resampledAxis, resampleToSpacing, toLabelArray, voxelIndex, type Grid,
} from '../../../../src/core/preprocess/index.js';
import { applyMat4, mat4InvertAffine, mat4Multiply, type Mat4 } from '../../../../src/core/volume/mat4.js';
import { orientationCode } from '../../../../src/core/volume/orientation.js';

const LPS: Mat4 = [-0.8, 0, 0, 100, 0, -0.7, 0, 90, 0, 0, 2.5, -40, 0, 0, 0, 1];

function filled(dims: [number, number, number], value: number, ijkToRas: Mat4 = LPS): Grid<Float32Array> {
  return { dims, ijkToRas, data: new Float32Array(dims[0] * dims[1] * dims[2]).fill(value) };
}

test('body box: bounding box of HU >= -500, margin clamped, no body is a typed error', () => {
  const g = filled([10, 8, 6], -1000);
  g.data[voxelIndex(g.dims, 2, 3, 1)] = -500; // exactly the threshold counts as body
  g.data[voxelIndex(g.dims, 6, 5, 4)] = 40;
  g.data[voxelIndex(g.dims, 7, 0, 2)] = -501; // just below: air
  assert.deepEqual(bodyBoundingBox(g), { start: [2, 3, 1], stop: [7, 6, 5] });
  assert.deepEqual(bodyBoundingBox(g, { marginVoxels: 2 }), { start: [0, 1, 0], stop: [9, 8, 6] });
  assert.throws(() => bodyBoundingBox(filled([3, 3, 3], -1000)), PreprocessError);
});

test('crop keeps every kept voxel at its world position', () => {
  const g = filled([10, 8, 6], 0);
  g.data.forEach((_, n) => { g.data[n] = n; });
  const c = cropGrid(g, { start: [2, 3, 1], stop: [7, 6, 5] });
  assert.deepEqual(c.dims, [5, 3, 4]);
  const toSource = mat4Multiply(mat4InvertAffine(g.ijkToRas), c.ijkToRas);
  for (const [i, j, k] of [[0, 0, 0], [4, 2, 3], [1, 2, 0]] as const) {
    const [si, sj, sk] = applyMat4(toSource, [i, j, k]).map(Math.round) as [number, number, number];
    assert.equal(c.data[voxelIndex(c.dims, i, j, k)], g.data[voxelIndex(g.dims, si, sj, sk)]);
  }
  assert.throws(() => cropGrid(g, { start: [0, 0, 0], stop: [11, 1, 1] }), PreprocessError);
});

test('resampling: exact target spacing, first centres aligned, trilinear exact on a linear field', () => {
  assert.deepEqual(resampledAxis(101, 3, 1), { size: 301, step: 1 / 3 });
  assert.equal(resampledAxis(10, 1, 2).size, 5); // centres 0,2,4,6,8 lie inside 0..9
  const g = filled([9, 7, 5], 0);
  const field = (p: readonly number[]): number => 0.5 * p[0]! - 0.25 * p[1]! + 2 * p[2]! + 3;
  for (let k = 0; k < 5; k++) for (let j = 0; j < 7; j++) for (let i = 0; i < 9; i++) g.data[voxelIndex(g.dims, i, j, k)] = field(applyMat4(g.ijkToRas, [i, j, k]));
  const r = resampleToSpacing(g, [0.5, 1.3, 1.1], 'linear');
  gridSpacing(r.ijkToRas).forEach((s, a) => assert.ok(Math.abs(s - [0.5, 1.3, 1.1][a]!) < 1e-12));
  assert.deepEqual(applyMat4(r.ijkToRas, [0, 0, 0]), applyMat4(g.ijkToRas, [0, 0, 0]));
  let worst = 0;
  for (let k = 0; k < r.dims[2]; k++) for (let j = 0; j < r.dims[1]; j++) for (let i = 0; i < r.dims[0]; i++) {
    worst = Math.max(worst, Math.abs(r.data[voxelIndex(r.dims, i, j, k)]! - field(applyMat4(r.ijkToRas, [i, j, k]))));
  }
  assert.ok(worst < 1e-3, `trilinear error ${worst}`);
});

test('nearest resampling of labels takes the label of the nearest source centre', () => {
  const g: Grid<Uint8Array> = { dims: [7, 5, 4], ijkToRas: LPS, data: new Uint8Array(140).map((_, n) => (n * 37) % 14) };
  const r = resampleToSpacing(g, [1.9, 0.3, 1.2], 'nearest');
  assert.ok(r.data instanceof Uint8Array);
  const toSource = mat4Multiply(mat4InvertAffine(g.ijkToRas), r.ijkToRas);
  for (let k = 0; k < r.dims[2]; k++) for (let j = 0; j < r.dims[1]; j++) for (let i = 0; i < r.dims[0]; i++) {
    const [si, sj, sk] = applyMat4(toSource, [i, j, k]).map((x) => Math.floor(x + 0.5 + 1e-9)) as [number, number, number];
    assert.equal(r.data[voxelIndex(r.dims, i, j, k)], g.data[voxelIndex(g.dims, si, sj, sk)]);
  }
});

test('HU window [-1350, 1000] maps to [0, 1] with clipping', () => {
  const out = clipAndScaleHu(new Int16Array([-2000, -1350, -175, 1000, 3000]));
  assert.deepEqual([...out].map((v) => Math.round(v * 1e6) / 1e6), [0, 0, 0.5, 1, 1]);
  assert.throws(() => clipAndScaleHu(new Int16Array(1), [5, 5]), PreprocessError);
});

test('labels: floats that are not class ids are rejected', () => {
  assert.deepEqual([...toLabelArray(new Float32Array([0, 3, 13]))], [0, 3, 13]);
  assert.throws(() => toLabelArray(new Float32Array([0, 1.5])), /voxel 1 holds 1.5/);
  assert.deepEqual(presentClasses(new Uint8Array([0, 4, 4, 2])), [2, 4]);
});

test('body mask: outside air is flooded from the side faces; enclosed air and air touching only the end slices stay body', () => {
  const dims: [number, number, number] = [12, 12, 6];
  const g = filled(dims, -1000);
  for (let k = 0; k < 6; k++) for (let j = 2; j < 10; j++) for (let i = 2; i < 10; i++) g.data[voxelIndex(dims, i, j, k)] = 40;
  for (let k = 2; k < 4; k++) g.data[voxelIndex(dims, 5, 5, k)] = -900; // enclosed gas
  for (let k = 0; k < 3; k++) g.data[voxelIndex(dims, 7, 7, k)] = -900; // a tube reaching the first slice only
  for (let i = 0; i < 6; i++) g.data[voxelIndex(dims, i, 4, 5)] = -900; // a channel reaching the side face
  const m = bodyMask(g);
  const at = (i: number, j: number, k: number): number => m[voxelIndex(dims, i, j, k)]!;
  assert.equal(at(0, 0, 0), 0);
  assert.equal(at(1, 6, 3), 0);
  assert.equal(at(5, 5, 2), 1, 'enclosed gas is inside the body');
  assert.equal(at(7, 7, 0), 1, 'air touching only slice k=0 is inside (vox2vec pads x and y only)');
  assert.equal(at(5, 4, 5), 0, 'air connected to the side face is outside');
  assert.equal(at(6, 6, 3), 1);
});

test('body mask: 26-connectivity crosses a diagonal gap that 6-connectivity does not', () => {
  const dims: [number, number, number] = [8, 8, 3];
  const g = filled(dims, 40);
  for (let k = 0; k < 3; k++) for (let j = 0; j < 8; j++) { g.data[voxelIndex(dims, 0, j, k)] = -1000; }
  g.data[voxelIndex(dims, 1, 1, 1)] = -1000; // touches the air column at i=0 by a face
  g.data[voxelIndex(dims, 2, 2, 2)] = -1000; // touches (1,1,1) only by a corner
  assert.equal(bodyMask(g)[voxelIndex(dims, 2, 2, 2)], 0);
  assert.equal(bodyMask(g, { connectivity: 6 })[voxelIndex(dims, 2, 2, 2)], 1);
  assert.equal(bodyMask(g, { connectivity: 6 })[voxelIndex(dims, 1, 1, 1)], 0);
});

test('pipeline on an LPS phantom: RAS, exact spacing, labels and the map back to the source agree', () => {
  const { image, labels } = makePhantom({ size: 'small' });
  const out = preprocessCase({ image, labels }, { spacingMm: [4, 4, 6] });
  assert.equal(orientationCode(image.ijkToRas), 'LPS');
  assert.equal(orientationCode(out.image.ijkToRas), 'RAS');
  gridSpacing(out.image.ijkToRas).forEach((s, a) => assert.ok(Math.abs(s - [4, 4, 6][a]!) < 1e-9));
  const l = out.labels!;
  assert.deepEqual(l.dims, out.image.dims);
  assert.deepEqual(presentClasses(l.data), presentClasses(labels.data));
  let min = Infinity, max = -Infinity;
  for (const v of out.image.data) { min = Math.min(min, v); max = Math.max(max, v); }
  assert.ok(min >= 0 && max <= 1);
  // toSourceIjk is the exact composition: it equals inv(source affine) * output affine.
  const numeric = mat4Multiply(mat4InvertAffine(image.ijkToRas), out.image.ijkToRas);
  out.toSourceIjk.forEach((v, n) => assert.ok(Math.abs(v - numeric[n]!) < 1e-9));
  let mismatches = 0;
  for (let k = 0; k < l.dims[2]; k++) for (let j = 0; j < l.dims[1]; j++) for (let i = 0; i < l.dims[0]; i++) {
    const [si, sj, sk] = applyMat4(out.toSourceIjk, [i, j, k]).map((x) => Math.floor(x + 0.5 + 1e-9)) as [number, number, number];
    if (l.data[voxelIndex(l.dims, i, j, k)] !== labels.data[voxelIndex(image.dims, si, sj, sk)]) mismatches++;
  }
  assert.equal(mismatches, 0);
  // Organs lie inside the body mask.
  let organOutside = 0;
  l.data.forEach((c, n) => { if (c > 0 && out.bodyMask.data[n] === 0) organOutside++; });
  assert.equal(organOutside, 0);
  assert.throws(() => preprocessCase({ image, labels: { ...labels, dims: [1, 1, 1], data: new Uint8Array(1) } }), PreprocessError);
});

const SHARED = resolve(__dirname, '../../../../../shared/data/totalsegmentator');
test('pipeline on the real example_ct (subject A) with its BTCV-13 labels', async (t) => {
  if (!existsSync(resolve(SHARED, 'example_ct.nii.gz'))) return t.skip('example_ct: ../shared/data absent');
  const { readNiftiFile } = await import('../../../../src/node/nifti/index.js');
  const ct = await readNiftiFile(resolve(SHARED, 'example_ct.nii.gz'));
  const seg = await readNiftiFile(resolve(SHARED, 'example_ct_btcv13_from_totalseg_fast.nii.gz'));
  const started = performance.now();
  const out = preprocessCase({ image: ct, labels: seg });
  const ms = performance.now() - started;
  t.diagnostic(`example_ct ${ct.dims.join('x')} -> ${out.image.dims.join('x')} in ${ms.toFixed(0)} ms`);
  gridSpacing(out.image.ijkToRas).forEach((s, a) => assert.ok(Math.abs(s - [1, 1, 2][a]!) < 1e-6));
  assert.deepEqual(presentClasses(out.labels!.data), presentClasses(toLabelArray(seg.data)));
  // Liver (6) is soft tissue: scaled HU about (45 + 1350) / 2350 = 0.59.
  let sum = 0, count = 0;
  out.labels!.data.forEach((c, n) => { if (c === 6) { sum += out.image.data[n]!; count++; } });
  assert.ok(Math.abs(sum / count - 0.59) < 0.03, `liver mean ${sum / count}`);
  let body = 0;
  for (const v of out.bodyMask.data) body += v;
  const fraction = body / out.bodyMask.data.length;
  assert.ok(fraction > 0.4 && fraction < 0.98, `body fraction ${fraction}`);
});
