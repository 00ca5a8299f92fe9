import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyMat4, mat4InvertAffine, mat4Multiply, type Mat4 } from '../../../../src/core/volume/mat4.js';
import { orientationCode, reorientFromRas, reorientToRas } from '../../../../src/core/volume/orientation.js';

const LPS: Mat4 = [-0.8, 0, 0, 100, 0, -0.8, 0, 90, 0, 0, 2.5, -40, 0, 0, 0, 1];
// i runs posterior, j superior, k left: "PSL".
const PERMUTED: Mat4 = [0, 0, -3, 5, -1.2, 0, 0, 6, 0, 1.1, 0, 7, 0, 0, 0, 1];

test('orientation codes name the direction each voxel axis grows', () => {
  assert.equal(orientationCode([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]), 'RAS');
  assert.equal(orientationCode(LPS), 'LPS');
  assert.equal(orientationCode(PERMUTED), 'PSL');
  // A 20-degree oblique axial slice is still closest to RAS.
  const c = Math.cos(0.35), s = Math.sin(0.35);
  assert.equal(orientationCode([1, 0, 0, 0, 0, c, -s, 0, 0, s, c, 0, 0, 0, 0, 1]), 'RAS');
});

test('mat4 inverse undoes the affine', () => {
  const p = [3, 4, 5] as const;
  const back = applyMat4(mat4InvertAffine(PERMUTED), applyMat4(PERMUTED, p));
  back.forEach((v, i) => assert.ok(Math.abs(v - p[i]!) < 1e-12));
  const identity = mat4Multiply(PERMUTED, mat4InvertAffine(PERMUTED));
  identity.forEach((v, i) => assert.ok(Math.abs(v - (i % 5 === 0 ? 1 : 0)) < 1e-12));
});

for (const [name, affine] of [['LPS', LPS], ['PSL', PERMUTED]] as const) {
  test(`reorienting ${name} to RAS moves voxels without resampling and keeps every voxel's world position`, () => {
    const dims = [4, 3, 2] as const;
    const data = new Int16Array(24).map((_, n) => n * 7 - 50);
    const out = reorientToRas({ dims, ijkToRas: affine, data });
    assert.equal(orientationCode(out.ijkToRas), 'RAS');
    assert.equal(out.dims[0] * out.dims[1] * out.dims[2], 24);
    assert.ok(out.data instanceof Int16Array);
    assert.deepEqual([...out.data].sort((a, b) => a - b), [...data].sort((a, b) => a - b), 'same multiset of values');
    // Each output voxel sits at the world position of the input voxel holding the same value.
    const toOldIjk = mat4Multiply(mat4InvertAffine(affine), out.ijkToRas);
    for (let k = 0; k < out.dims[2]; k++) for (let j = 0; j < out.dims[1]; j++) for (let i = 0; i < out.dims[0]; i++) {
      const [oi, oj, ok] = applyMat4(toOldIjk, [i, j, k]).map((v) => Math.round(v * 1e9) / 1e9) as [number, number, number];
      assert.ok([oi, oj, ok].every(Number.isInteger), 'the mapping is an exact permutation of integer indices');
      const old = data[oi + oj * dims[0] + ok * dims[0] * dims[1]];
      assert.equal(out.data[i + j * out.dims[0] + k * out.dims[0] * out.dims[1]], old);
    }
  });
}

test('reorienting an image that is already RAS is the identity', () => {
  const ras: Mat4 = [2, 0, 0, -1, 0, 2, 0, -2, 0, 0, 2, -3, 0, 0, 0, 1];
  const data = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const out = reorientToRas({ dims: [2, 2, 2], ijkToRas: ras, data });
  assert.deepEqual([...out.data], [...data]);
  assert.deepEqual([...out.ijkToRas], [...ras]);
});

test('reorientFromRas undoes reorientToRas for every axis permutation and flip', () => {
  const dims: [number, number, number] = [3, 4, 5];
  const data = Float32Array.from({ length: 60 }, (_, n) => n);
  const perms = [[0, 1, 2], [1, 0, 2], [2, 1, 0], [0, 2, 1], [1, 2, 0], [2, 0, 1]];
  for (const perm of perms) {
    for (let signs = 0; signs < 8; signs++) {
      // Column c of the affine points voxel axis c along world axis perm[c], backwards when its sign bit is set.
      const m = new Array<number>(16).fill(0);
      m[15] = 1;
      perm.forEach((w, c) => { m[w * 4 + c] = (signs >> c) & 1 ? -2 : 2; });
      const ras = reorientToRas({ dims, ijkToRas: m, data });
      assert.deepEqual(reorientFromRas(ras.data, dims, m), data, `perm ${perm} signs ${signs}`);
    }
  }
});
