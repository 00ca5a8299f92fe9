import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeNifti, encodeNifti, headerFields, NiftiError, type NiftiErrorKind } from '../../../../src/core/nifti/index.js';
import { LPS_AFFINE, smallNifti, view } from './testing.js';

async function rejects(bytes: Uint8Array, kind: NiftiErrorKind, pattern: RegExp, options = {}): Promise<void> {
  await assert.rejects(decodeNifti(bytes, options), (err: unknown) => {
    assert.ok(err instanceof NiftiError, `expected NiftiError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

test('an encoded int16 volume decodes to the same values, geometry and orientation', async () => {
  const image = await decodeNifti(smallNifti());
  assert.deepEqual(image.dims, [6, 5, 4]);
  assert.equal(image.datatype, 'int16');
  assert.equal(image.orientation, 'LPS');
  assert.deepEqual([...image.ijkToRas], [...LPS_AFFINE].map(Math.fround));
  assert.deepEqual(image.spacing.map((s) => Math.fround(s)), [0.8, 0.8, 2.5].map(Math.fround));
  assert.deepEqual(image.range, [-60, 59]);
  assert.equal(image.data[0], -60);
  assert.equal(image.data[119], 59);
});

test('scl_slope/scl_inter are applied; slope 0 means unscaled, as in nibabel', async () => {
  const bytes = smallNifti();
  view(bytes).setFloat32(112, 0.5, true);
  view(bytes).setFloat32(116, -1000, true);
  assert.equal((await decodeNifti(bytes)).data[0], -1030);
  view(bytes).setFloat32(112, 0, true);
  assert.equal((await decodeNifti(bytes)).data[0], -60);
  view(bytes).setFloat32(112, 2, true);
  view(bytes).setFloat32(116, Number.NaN, true);
  await rejects(bytes, 'bad-header', /scl_inter/);
});

test('NaN and Inf voxels are kept and counted; the range covers the finite values; rejectNonFinite refuses them', async () => {
  const data = new Float32Array([1, Number.NaN, -5, Number.POSITIVE_INFINITY, 7, 2, 0, 3]);
  const bytes = encodeNifti({ dims: [2, 2, 2], ijkToRas: LPS_AFFINE, data });
  const image = await decodeNifti(bytes);
  assert.equal(image.nonFiniteCount, 2);
  assert.deepEqual(image.range, [-5, 7]);
  assert.ok(Number.isNaN(image.data[1]));
  await rejects(bytes, 'non-finite', /2 voxels are NaN or infinite/, { rejectNonFinite: true });
});

test('bad input gives a NiftiError a person can act on', async () => {
  await rejects(new TextEncoder().encode('hello, this is not a NIfTI file at all'), 'not-nifti', /not a NIfTI file/);
  await rejects(new Uint8Array(2), 'truncated', /too short/);
  await rejects(smallNifti().subarray(0, 200), 'truncated', /inside its 348-byte NIfTI-1 header/);
  await rejects(smallNifti().subarray(0, 400), 'truncated', /need 592 bytes, the file has 400/);

  const magic = smallNifti();
  magic.set([0x78, 0x79, 0x7a], 344);
  await rejects(magic, 'not-nifti', /magic string is "xyz"/);
  const pair = smallNifti();
  pair.set([0x6e, 0x69, 0x31], 344);
  await rejects(pair, 'not-nifti', /\.hdr\/\.img pair/);

  const rgb = smallNifti();
  view(rgb).setInt16(70, 128, true);
  await rejects(rgb, 'unsupported-datatype', /RGB24.*not supported/);
  const weird = smallNifti();
  view(weird).setInt16(70, 999, true);
  await rejects(weird, 'unsupported-datatype', /not a NIfTI datatype/);

  for (const [index, value, pattern] of [[1, 0, /dimension 1 has size 0/], [2, -5, /dimension 2 has size -5/], [0, 9, /dim\[0\].*between 1 and 7/]] as const) {
    const bad = smallNifti();
    view(bad).setInt16(40 + index * 2, value, true);
    await rejects(bad, 'bad-dims', pattern);
  }
  const absurd = smallNifti();
  [32767, 32767, 32767].forEach((n, i) => view(absurd).setInt16(42 + i * 2, n, true));
  await rejects(absurd, 'too-large', /more than the limit/);
  await rejects(smallNifti(), 'too-large', /limit of 100/, { maxVoxels: 100 });
  await rejects(smallNifti(), 'bad-frame', /frame 1 does not exist; the file has 1 frame/, { frame: 1 });
});

test('4D files decode the requested frame', async () => {
  const bytes = smallNifti();
  // Reinterpret 6x5x4 as 6x5x2 with 2 frames: frame 1 starts at voxel 60.
  view(bytes).setInt16(40, 4, true);
  view(bytes).setInt16(46, 2, true);
  view(bytes).setInt16(48, 2, true);
  const image = await decodeNifti(bytes, { frame: 1 });
  assert.equal(image.frames, 2);
  assert.deepEqual(image.dims, [6, 5, 2]);
  assert.equal(image.data[0], 0);
});

test('big-endian files decode like little-endian ones', async () => {
  const little = smallNifti();
  const big = new Uint8Array(little);
  const dv = view(big), lv = view(little);
  // Byte-swap the header fields this file uses, then the voxels.
  dv.setInt32(0, 348, false);
  for (let i = 0; i < 8; i++) dv.setInt16(40 + i * 2, lv.getInt16(40 + i * 2, true), false);
  for (const off of [70, 72, 252, 254]) dv.setInt16(off, lv.getInt16(off, true), false);
  for (let off = 76; off < 120; off += 4) dv.setFloat32(off, lv.getFloat32(off, true), false);
  for (let off = 256; off < 328; off += 4) dv.setFloat32(off, lv.getFloat32(off, true), false);
  for (let off = 352; off < big.length; off += 2) dv.setInt16(off, lv.getInt16(off, true), false);
  const [a, b] = [await decodeNifti(little), await decodeNifti(big)];
  assert.equal(b.header.littleEndian, false);
  assert.deepEqual([...b.data], [...a.data]);
  assert.deepEqual(b.ijkToRas, a.ijkToRas);
});

test('extensions are read; a broken extension chain does not stop the load', async () => {
  const base = smallNifti();
  const payload = new TextEncoder().encode('hello extension!'); // 16 bytes
  const withExt = new Uint8Array(base.length + 24);
  withExt.set(base.subarray(0, 348));
  withExt[348] = 1;
  view(withExt).setInt32(352, 24, true);
  view(withExt).setInt32(356, 6, true);
  withExt.set(payload, 360);
  withExt.set(base.subarray(352), 376);
  view(withExt).setFloat32(108, 376, true);
  const image = await decodeNifti(withExt);
  assert.equal(image.header.extensions.length, 1);
  assert.equal(image.header.extensions[0]!.code, 6);
  assert.equal(new TextDecoder().decode(image.header.extensions[0]!.data), 'hello extension!');
  assert.equal(image.data[0], -60);
  view(withExt).setInt32(352, 1000, true); // esize past vox_offset
  assert.equal((await decodeNifti(withExt)).header.extensions.length, 0);
});

test('headerFields lists every header field with readable values', async () => {
  const fields = headerFields(await decodeNifti(smallNifti()));
  const byName = new Map(fields.map((f) => [f.name, f.value]));
  for (const name of ['dim', 'pixdim', 'datatype', 'qform_code', 'sform_code', 'srow_x', 'srow_y', 'srow_z', 'quatern_b', 'vox_offset', 'scl_slope', 'xyzt_units', 'descrip', 'magic', 'extensions']) {
    assert.ok(byName.has(name), `field ${name}`);
  }
  assert.equal(byName.get('datatype'), '4 (int16)');
  assert.equal(byName.get('dim'), '[3, 6, 5, 4, 1, 1, 1, 1]');
  assert.equal(byName.get('xyzt_units'), '10 (space mm, time s)');
  assert.equal(byName.get('sform_code'), '2 (aligned)');
});

test('the encoder refuses data a datatype cannot hold and mismatched sizes', () => {
  const base = { dims: [2, 2, 1] as const, ijkToRas: LPS_AFFINE };
  assert.throws(() => encodeNifti({ ...base, data: new Float32Array([1, 2, 300, 4]) }, { datatype: 'uint8' }), /voxel 2 is 300, which uint8 cannot hold/);
  assert.throws(() => encodeNifti({ ...base, data: new Float32Array([1, 2.5, 3, 4]) }, { datatype: 'int16' }), NiftiError);
  assert.throws(() => encodeNifti({ ...base, data: new Float32Array(3) }), /has 3 values but 2x2x1 needs 4/);
  assert.throws(() => encodeNifti({ dims: [40000, 1, 1], ijkToRas: LPS_AFFINE, data: new Float32Array(40000) }), /1 to 32767/);
});

test('a slope that overflows float32 yields Inf voxels that are counted, not hidden', async () => {
  const bytes = smallNifti();
  view(bytes).setFloat32(112, 1e38, true);
  const image = await decodeNifti(bytes);
  assert.ok(image.nonFiniteCount > 0);
  assert.ok(image.range.every(Number.isFinite));
});
