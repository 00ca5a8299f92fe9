import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeNifti, encodeNifti, NiftiError, NiftiStreamDecoder, type VoxelTarget } from '../../../../src/core/nifti/index.js';
import { LPS_AFFINE, view } from './testing.js';

/** Pushes `bytes` in pieces of the given sizes (cycled), as a stream would deliver them. */
async function decodeInPieces<T extends VoxelTarget>(bytes: Uint8Array, target: T, sizes: readonly number[], options = {}) {
  const decoder = new NiftiStreamDecoder(target, options);
  for (let at = 0, n = 0; at < bytes.length; n++) {
    const size = sizes[n % sizes.length]!;
    await decoder.push(bytes.subarray(at, at + size));
    at += size;
  }
  return decoder.finish();
}

const dims: [number, number, number] = [7, 5, 3];
const int32 = new Int32Array(105).map((_, n) => n * 1000 - 40000);

test('any split into pieces (headers, voxels and single bytes cut anywhere) decodes the same voxels as one piece', async () => {
  const file = encodeNifti({ dims, ijkToRas: LPS_AFFINE, data: int32 });
  const whole = await decodeNifti(file);
  assert.deepEqual([...whole.data], [...int32]);
  for (const sizes of [[1], [3], [5, 7], [347, 1, 2, 3], [4, 1000]]) {
    const pieces = await decodeInPieces(file, 'float32', sizes);
    assert.deepEqual([...pieces.data], [...int32], `pieces of ${sizes.join(',')}`);
    assert.deepEqual(pieces.range, [-40000, 64000]);
    assert.deepEqual(pieces.ijkToRas, whole.ijkToRas);
  }
});

test("the 'none' target keeps no voxels but gives the range and the header; a later frame is chosen by file position", async () => {
  const file = encodeNifti({ dims, ijkToRas: LPS_AFFINE, data: int32 });
  const summary = await decodeInPieces(file, 'none', [13]);
  assert.equal('data' in summary, false);
  assert.deepEqual(summary.range, [-40000, 64000]);
  assert.equal(summary.datatype, 'int32');
  // Two frames: the second frame's voxels are the first's + 1.
  const two = new Uint8Array(file.length + 105 * 4);
  two.set(file);
  new Int32Array(two.buffer, file.length, 105).set(int32.map((v) => v + 1));
  view(two).setInt16(40, 4, true);
  view(two).setInt16(48, 2, true);
  const second = await decodeInPieces(two, 'float32', [100], { frame: 1 });
  assert.equal(second.data[0], -39999);
  assert.equal(second.frame, 1);
  await assert.rejects(decodeInPieces(two.subarray(0, two.length - 2), 'float32', [100], { frame: 1 }), (err: unknown) => err instanceof NiftiError && err.kind === 'truncated');
});

test("the 'uint8' target reads label maps of any integer type (and scaled or float ones) straight to uint8, and refuses images", async () => {
  const labels = new Int16Array(105).map((_, n) => n % 14);
  const asInt16 = await decodeInPieces(encodeNifti({ dims, ijkToRas: LPS_AFFINE, data: labels }), 'uint8', [33]);
  assert.ok(asInt16.data instanceof Uint8Array);
  assert.deepEqual([...asInt16.data], [...labels]);
  assert.deepEqual(asInt16.range, [0, 13]);
  const asFloat = await decodeInPieces(encodeNifti({ dims, ijkToRas: LPS_AFFINE, data: Float32Array.from(labels) }), 'uint8', [1 << 20]);
  assert.deepEqual([...asFloat.data], [...labels]);
  const asUint8 = await decodeInPieces(encodeNifti({ dims, ijkToRas: LPS_AFFINE, data: Uint8Array.from(labels) }), 'uint8', [1 << 20]);
  assert.deepEqual([...asUint8.data], [...labels]);
  const ct = new Int16Array(105).fill(3);
  ct[77] = -1000;
  await assert.rejects(decodeInPieces(encodeNifti({ dims, ijkToRas: LPS_AFFINE, data: ct }), 'uint8', [40]),
    (err: unknown) => err instanceof NiftiError && /voxel 77 holds -1000/.test(err.message));
});
