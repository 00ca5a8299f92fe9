/**
 * rasCropView reads a box of a grid RAS-oriented in place: every voxel, the affine and the map back to the source must
 * equal what reorientToRas + cropGrid produce with copies, for flipped and permuted storage orders.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMat4, type Mat4 } from '../../../../src/core/volume/mat4.js';
import { reorientToRas } from '../../../../src/core/volume/orientation.js';
import { cropGrid, contiguous, PreprocessError, resampleStrided, resampleToSpacing, type Grid } from '../../../../src/core/preprocess/index.js';
import { rasCropView } from '../../../../src/core/preprocess/ras-view.js';

const ORIENTATIONS: Record<string, Mat4> = {
  RAS: [0.8, 0, 0, -10, 0, 1.1, 0, 20, 0, 0, 1.7, 30, 0, 0, 0, 1],
  LPS: [-0.8, 0, 0, 10, 0, -1.1, 0, 20, 0, 0, 1.7, -30, 0, 0, 0, 1],
  // i runs down (-z), j runs right (+x), k runs back (-y)
  permuted: [0, 1.1, 0, -50, 0, 0, -1.7, 60, -0.8, 0, 0, 70, 0, 0, 0, 1],
};

function numbered(ijkToRas: Mat4): Grid<Float32Array> {
  const dims: [number, number, number] = [7, 6, 5];
  return { dims, ijkToRas, data: new Float32Array(7 * 6 * 5).map((_, n) => n) };
}

for (const [name, affine] of Object.entries(ORIENTATIONS)) {
  test(`rasCropView equals reorient + crop without copying (${name})`, () => {
    const grid = numbered(affine);
    const box = { start: [1, 2, 0] as const, stop: [6, 5, 4] as const };
    const { view, toSourceIjk, rasBox } = rasCropView(grid, box);
    const copied = cropGrid(reorientToRas(grid), rasBox);
    assert.deepEqual(view.dims, copied.dims);
    view.ijkToRas.forEach((v, n) => assert.ok(Math.abs(v - copied.ijkToRas[n]!) < 1e-12));
    assert.equal(view.data, grid.data, 'the view shares the source voxels');
    const [nx, ny, nz] = view.dims;
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      const value = view.data[view.base + i * view.strides[0] + j * view.strides[1] + k * view.strides[2]];
      assert.equal(value, copied.data[i + nx * (j + ny * k)]);
      const [si, sj, sk] = applyMat4(toSourceIjk, [i, j, k]) as [number, number, number];
      assert.equal(value, grid.data[si + 7 * (sj + 6 * sk)], 'toSourceIjk lands on the same voxel');
    }
    // Resampling through the strides gives the same grid as resampling the copy.
    const a = resampleStrided(view, [0.5, 0.7, 2.2], 'linear');
    const b = resampleToSpacing(copied, [0.5, 0.7, 2.2], 'linear');
    assert.deepEqual(a.dims, b.dims);
    assert.deepEqual(a.data, b.data);
    assert.deepEqual(resampleStrided(contiguous(copied), [1.3, 0.4, 1], 'nearest').data, resampleToSpacing(copied, [1.3, 0.4, 1], 'nearest').data);
  });
}

test('rasCropView refuses a box outside the grid', () => {
  assert.throws(() => rasCropView(numbered(ORIENTATIONS.RAS!), { start: [0, 0, 0], stop: [8, 6, 5] }), PreprocessError);
});
