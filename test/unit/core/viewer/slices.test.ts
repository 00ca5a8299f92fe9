import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  canonicalToIjk, extractSlice, ijkToCanonical, ijkToRasMm, orientationCode, rasAxisMap, voxelSpacing, type VoxelGrid,
} from '../../../../src/core/viewer/slices.js';

// A 4x3x2 volume whose value encodes its voxel index: v = i + 10 j + 100 k.
function grid(ijkToRas: number[]): VoxelGrid {
  const dims: [number, number, number] = [4, 3, 2];
  const data = new Float32Array(24);
  for (let k = 0; k < 2; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 4; i++) data[i + 4 * j + 12 * k] = i + 10 * j + 100 * k;
  return { dims, ijkToRas, data };
}
const RAS = [2, 0, 0, 10, 0, 3, 0, 20, 0, 0, 4, 30, 0, 0, 0, 1];
const LPS = [-2, 0, 0, 10, 0, -3, 0, 20, 0, 0, 4, 30, 0, 0, 0, 1];
// Voxel axes permuted: i runs along S, j along R, k along A.
const PERMUTED = [0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1];

test('orientation codes from the affine', () => {
  assert.equal(orientationCode(RAS), 'RAS');
  assert.equal(orientationCode(LPS), 'LPS');
  assert.equal(orientationCode(PERMUTED), 'SRA');
  // A slightly oblique matrix still maps to its nearest axes.
  assert.equal(orientationCode([0.99, 0.1, 0, 0, -0.1, 0.99, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]), 'RAS');
  assert.deepEqual(voxelSpacing(LPS), [2, 3, 4]);
});

test('canonical <-> ijk are inverse', () => {
  const map = rasAxisMap(LPS);
  const dims = [4, 3, 2];
  for (const ijk of [[0, 0, 0], [3, 2, 1], [1, 2, 0]]) {
    assert.deepEqual(canonicalToIjk(ijkToCanonical(ijk, dims, map), dims, map), ijk);
  }
  assert.deepEqual(ijkToCanonical([0, 0, 0], dims, map), [3, 2, 0]);
});

test('axial slice of RAS data: right to the screen right, anterior up', () => {
  const g = grid(RAS);
  const s = extractSlice(g, rasAxisMap(RAS), 'axial', [0, 0, 1]);
  assert.equal(s.width, 4);
  assert.equal(s.height, 3);
  assert.deepEqual(s.pixelMm, [2, 3]);
  // Top row is the most anterior row j = 2, left column is i = 0.
  assert.deepEqual([...s.data.slice(0, 4)], [120, 121, 122, 123]);
  assert.deepEqual([...s.data.slice(8, 12)], [100, 101, 102, 103]);
  const radiological = extractSlice(g, rasAxisMap(RAS), 'axial', [0, 0, 1], true);
  assert.deepEqual([...radiological.data.slice(0, 4)], [123, 122, 121, 120]);
});

test('LPS data is shown the same way up as RAS data of the same anatomy', () => {
  const g = grid(LPS);
  const s = extractSlice(g, rasAxisMap(LPS), 'axial', [0, 0, 0]);
  // Screen left = most left = i = 3 (i runs to the left); top = most anterior = j = 0 (j runs posterior).
  assert.deepEqual([...s.data.slice(0, 4)], [3, 2, 1, 0]);
  const coronal = extractSlice(g, rasAxisMap(LPS), 'coronal', [0, 2, 0]);
  assert.equal(coronal.height, 2);
  // Canonical A index 2 is j = 0; top row is superior k = 1.
  assert.deepEqual([...coronal.data.slice(0, 4)], [103, 102, 101, 100]);
});

test('sagittal of a permuted volume', () => {
  const g = grid(PERMUTED);
  const map = rasAxisMap(PERMUTED);
  // R is j (3), A is k (2), S is i (4). Sagittal: width along A, height along S.
  const s = extractSlice(g, map, 'sagittal', [1, 0, 0]);
  assert.equal(s.width, 2);
  assert.equal(s.height, 4);
  // Top-left: A = 0 (k = 0), S = 3 (i = 3), R = 1 (j = 1).
  assert.equal(s.data[0], 3 + 10);
  assert.equal(s.data[1], 3 + 10 + 100);
});

test('ijkToRasMm applies the affine', () => {
  assert.deepEqual(ijkToRasMm(LPS, [1, 1, 1]), [8, 17, 34]);
});
