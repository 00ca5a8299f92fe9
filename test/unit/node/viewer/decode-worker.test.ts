// Runs the real decode worker (its TypeScript source, through a tsx shim) on files written here and,
// when present, on the shared example CT and its BTCV label map.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeNiftiFile } from '../../../../src/node/nifti/write-file.js';
import { readRawVoxels } from '../../../../src/node/viewer/raw-voxels.js';
import { decodeVolume, readGrids, type FirstPaintReply } from '../../../../src/extension/viewer/decode-client.js';

const root = path.resolve(__dirname, '../../../..');
const workerFile = { file: path.join(__dirname, 'decode-worker-shim.mjs') };
const sharedData = path.resolve(root, '../shared/data');
const LPS_2MM = [-2, 0, 0, 100, 0, -2, 0, 80, 0, 0, 3, -40, 0, 0, 0, 1];

test('decodes a CT-like int16 file: first paint, then compact int16 voxels and header fields', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'anadiff-viewer-'));
  try {
    const dims = [20, 16, 10] as const;
    const data = new Int16Array(20 * 16 * 10).map((_, i) => (i % 7 === 0 ? 1500 : -1000 + (i % 200)));
    const file = path.join(dir, 'ct.nii.gz');
    await writeNiftiFile(file, { dims, ijkToRas: LPS_2MM, data });
    let paint: FirstPaintReply | undefined;
    const decoded = await decodeVolume(workerFile, { type: 'decode', path: file, role: 'image', maxVoxels: 1e6 }, (p) => (paint = p)).result;
    assert.ok(paint, 'first paint arrives before the volume');
    assert.deepEqual(paint.slices.map((s) => [s.plane, s.width, s.height]), [['axial', 20, 16], ['coronal', 20, 10], ['sagittal', 16, 10]]);
    assert.equal(paint.isCt, true);
    assert.equal(decoded.voxelType, 'int16');
    assert.deepEqual([...new Int16Array(decoded.voxels)], [...data]);
    assert.equal(decoded.geometry.orientation, 'LPS');
    assert.deepEqual(decoded.geometry.spacing, [2, 2, 3]);
    assert.ok(decoded.header.some((f) => f.name.includes('datatype') && f.value.includes('int16')), JSON.stringify(decoded.header.slice(0, 8)));
    // The webview's fast path: the inflated file from voxOffset on must be exactly the decoded voxels.
    assert.ok(paint.raw, 'an unscaled int16 file offers its stored voxels');
    assert.equal(paint.raw.voxelType, 'int16');
    assert.equal(paint.raw.voxelCount, data.length);
    const inflated = gunzipSync(readFileSync(file));
    const stored = new Int16Array(inflated.buffer.slice(inflated.byteOffset + paint.raw.voxOffset, inflated.byteOffset + paint.raw.voxOffset + data.length * 2));
    assert.deepEqual([...stored], [...new Int16Array(decoded.voxels)]);
    // The host decides the same from the header alone, before any voxel is inflated.
    assert.deepEqual(await readRawVoxels(file, 1e6), paint.raw);
    const grids = await readGrids(workerFile, [file]).result;
    assert.deepEqual(grids[0] && 'dims' in grids[0] ? grids[0].dims.slice(0, 3) : [], [20, 16, 10]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a float image offers no stored voxels: the decoded volume is posted', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'anadiff-viewer-'));
  try {
    const file = path.join(dir, 'mr.nii.gz');
    await writeNiftiFile(file, { dims: [8, 6, 4], ijkToRas: LPS_2MM, data: new Float32Array(8 * 6 * 4).map((_, i) => i * 0.5) });
    let paint: FirstPaintReply | undefined;
    await decodeVolume(workerFile, { type: 'decode', path: file, role: 'image', maxVoxels: 1e6 }, (p) => (paint = p)).result;
    assert.ok(paint);
    assert.equal(paint.raw, null);
    assert.equal(await readRawVoxels(file, 1e6), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt file is a clear error, not a hang', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'anadiff-viewer-'));
  try {
    const file = path.join(dir, 'bad.nii');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, Buffer.from('this is not a nifti file at all'.repeat(20)));
    await assert.rejects(decodeVolume(workerFile, { type: 'decode', path: file, role: 'image', maxVoxels: 1e6 }).result, { name: 'DecodeError' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shared example CT and its BTCV label map', async (t) => {
  const ct = path.join(sharedData, 'totalsegmentator/example_ct.nii.gz');
  const seg = path.join(sharedData, 'totalsegmentator/example_ct_btcv13_from_totalseg_fast.nii.gz');
  if (!existsSync(ct)) return t.skip('shared example CT: ../shared/data absent');
  const image = await decodeVolume(workerFile, { type: 'decode', path: ct, role: 'image', maxVoxels: 1e8 }).result;
  assert.deepEqual(image.geometry.dims, [122, 101, 112]);
  assert.equal(image.isCt, true);
  assert.equal(image.voxelType, 'int16');
  const labels = await decodeVolume(workerFile, { type: 'decode', path: seg, role: 'overlay', maxVoxels: 1e8 }).result;
  assert.equal(labels.voxelType, 'uint8');
  assert.ok(labels.labelIds.includes(6) && labels.labelIds.includes(1), `liver and spleen present: ${labels.labelIds.join(',')}`);
  assert.ok(!labels.labelIds.includes(5), 'esophagus is out of the field of view');
});

test('the header-only check: unscaled uint8 yes; scaled, too large or unreadable files no', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'anadiff-viewer-'));
  try {
    const labels = path.join(dir, 'labels.nii');
    await writeNiftiFile(labels, { dims: [4, 4, 4], ijkToRas: LPS_2MM, data: new Uint8Array(64).fill(3) });
    const { writeFileSync } = await import('node:fs');
    const scaled = path.join(dir, 'scaled.nii');
    const bytes = readFileSync(labels);
    bytes.writeFloatLE(2, 112); // scl_slope = 2: the stored bytes are no longer the shown values
    writeFileSync(scaled, bytes);
    const junk = path.join(dir, 'junk.nii.gz');
    writeFileSync(junk, Buffer.from('not a nifti'));
    assert.equal(await readRawVoxels(junk, 1e6), null);
    assert.deepEqual(await readRawVoxels(labels, 1e6), { voxelType: 'uint8', voxOffset: 352, voxelCount: 64 });
    assert.equal(await readRawVoxels(labels, 10), null, 'over maxVoxels: no fast path');
    assert.equal(await readRawVoxels(scaled, 1e6), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
