import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, test } from 'node:test';
import { encodeNifti, NiftiError } from '../../../../src/core/nifti/index.js';
import { readNiftiBytes, readNiftiFile, writeNiftiFile } from '../../../../src/node/nifti/index.js';
import { isAtomicTempFile } from '../../../../src/node/io/atomic-write.js';

const dir = mkdtempSync(join(tmpdir(), 'anadiff-nifti-rw-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const AFFINE = [-1, 0, 0, 10, 0, -1, 0, 20, 0, 0, 3, -30, 0, 0, 0, 1];
const volume = { dims: [8, 6, 5] as [number, number, number], ijkToRas: AFFINE, data: new Int16Array(240).map((_, i) => i * 3 - 300) };

function isNiftiError(kind: string) {
  return (err: unknown) => err instanceof NiftiError && err.kind === kind;
}

test('gzip is detected by content, not by the file name', async () => {
  const raw = encodeNifti(volume);
  writeFileSync(join(dir, 'really-gzip.nii'), gzipSync(raw));
  writeFileSync(join(dir, 'really-plain.nii.gz'), raw);
  const a = await readNiftiFile(join(dir, 'really-gzip.nii'));
  const b = await readNiftiFile(join(dir, 'really-plain.nii.gz'));
  assert.deepEqual([...a.data], [...volume.data]);
  assert.deepEqual([...b.data], [...volume.data]);
});

test('writes are atomic and never replace an existing file unless asked', async () => {
  const path = join(dir, 'out.nii.gz');
  await writeNiftiFile(path, volume);
  const first = readFileSync(path);
  const other = { ...volume, data: new Int16Array(240).fill(7) };
  await assert.rejects(writeNiftiFile(path, other), (err: unknown) => isNiftiError('file-exists')(err) && /already exists/.test((err as Error).message));
  assert.deepEqual(readFileSync(path), first, 'the existing file is untouched');
  await writeNiftiFile(path, other, { overwrite: true });
  assert.equal((await readNiftiFile(path)).data[0], 7);
  assert.deepEqual(readdirSync(dir).filter(isAtomicTempFile), [], 'no temporary files are left behind');
});

test('corrupt and truncated gzip give NiftiError("corrupt-gzip"); a missing file keeps its ENOENT', async () => {
  const gz = gzipSync(encodeNifti(volume));
  const flipped = new Uint8Array(gz);
  flipped[40] = (flipped[40] ?? 0) ^ 0xff;
  await assert.rejects(readNiftiBytes(flipped), isNiftiError('corrupt-gzip'));
  await assert.rejects(readNiftiBytes(gz.subarray(0, gz.length - 30)), isNiftiError('corrupt-gzip'));
  await assert.rejects(readNiftiFile(join(dir, 'missing.nii.gz')), (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT');
  // The same through the file reader, whose small-file path drives zlib's handle piece by piece.
  writeFileSync(join(dir, 'flipped.nii.gz'), flipped);
  writeFileSync(join(dir, 'cut.nii.gz'), gz.subarray(0, gz.length - 30));
  await assert.rejects(readNiftiFile(join(dir, 'flipped.nii.gz')), isNiftiError('corrupt-gzip'));
  await assert.rejects(readNiftiFile(join(dir, 'cut.nii.gz')), isNiftiError('corrupt-gzip'));
  // Two reads interleaved on one thread must not share the reused buffers.
  writeFileSync(join(dir, 'a.nii.gz'), gz);
  const other = gzipSync(encodeNifti({ ...volume, data: volume.data.map((v) => v + 1) }));
  writeFileSync(join(dir, 'b.nii.gz'), other);
  const [a, b] = await Promise.all([readNiftiFile(join(dir, 'a.nii.gz')), readNiftiFile(join(dir, 'b.nii.gz'))]);
  assert.deepEqual([...a.data], [...volume.data]);
  assert.deepEqual([...b.data], [...volume.data].map((v) => v + 1));
});

test('the streaming path (large or multi-member gzip) reads the same voxels and frames as the one-shot path', async () => {
  // A 4D file, 3 frames, split into two gzip members: ISIZE then only covers the short last member, so the
  // one-shot inflate overflows its limit and the reader falls back to streaming.
  // 64x64x8 int16 x 3 frames = 196 KiB inflated, over the 64 KiB floor of the one-shot limit.
  const frames = 3, voxelsPerFrame = 64 * 64 * 8;
  const raw = encodeNifti({ dims: [64, 64, 8], ijkToRas: AFFINE, data: new Int16Array(voxelsPerFrame) });
  const four = new Uint8Array(352 + voxelsPerFrame * 2 * frames);
  four.set(raw);
  const dv = new DataView(four.buffer);
  dv.setInt16(40, 4, true);
  dv.setInt16(48, frames, true);
  const voxels = new Int16Array(four.buffer, 352, voxelsPerFrame * frames);
  voxels.forEach((_, i) => { voxels[i] = (i % 20000) - 100; });
  const members = Buffer.concat([gzipSync(four.subarray(0, four.length - 10)), gzipSync(four.subarray(four.length - 10))]);
  for (let frame = 0; frame < frames; frame++) {
    const streamed = await readNiftiBytes(members, { frame });
    const oneShot = await readNiftiBytes(gzipSync(four), { frame });
    assert.deepEqual([...streamed.data], [...oneShot.data]);
    assert.equal(streamed.data[0], ((frame * voxelsPerFrame) % 20000) - 100);
    assert.equal(streamed.frames, frames);
  }
  const truncated = Buffer.concat([gzipSync(four.subarray(0, four.length - 10)), gzipSync(new Uint8Array(2))]);
  await assert.rejects(readNiftiBytes(truncated, { frame: 2 }), isNiftiError('truncated'));
});

test('streaming decodes block by block (several 1M-voxel blocks) with the same voxels and range as one shot', async () => {
  const dims: [number, number, number] = [128, 128, 160]; // 2.6M voxels: three decode blocks
  const data = new Int16Array(dims[0] * dims[1] * dims[2]).map((_, i) => ((i * 7) % 30011) - 15000);
  data[2_500_000] = 32000; // the maximum sits in the last block
  const raw = encodeNifti({ dims, ijkToRas: AFFINE, data });
  const members = Buffer.concat([gzipSync(raw.subarray(0, raw.length - 100), { level: 1 }), gzipSync(raw.subarray(raw.length - 100))]);
  const streamed = await readNiftiBytes(members);
  assert.deepEqual(streamed.range, [-15000, 32000]);
  assert.equal(streamed.data.length, data.length);
  for (let i = 0; i < data.length; i++) if (streamed.data[i] !== data[i]) assert.fail(`voxel ${i}: ${streamed.data[i]} != ${data[i]}`);
});

test('readNiftiHeaderFile reads the grid of .nii and .nii.gz without the voxels', async () => {
  const { readNiftiHeaderFile } = await import('../../../../src/node/nifti/index.js');
  const big = { dims: [200, 200, 50] as [number, number, number], ijkToRas: AFFINE, data: new Int16Array(200 * 200 * 50) };
  await writeNiftiFile(join(dir, 'grid.nii.gz'), big);
  await writeNiftiFile(join(dir, 'grid.nii'), big);
  for (const name of ['grid.nii.gz', 'grid.nii']) {
    const { header, layout } = await readNiftiHeaderFile(join(dir, name));
    assert.deepEqual(layout.dims, [200, 200, 50]);
    assert.equal(layout.datatype.name, 'int16');
    assert.deepEqual([...layout.ijkToRas], AFFINE);
    assert.equal(header.version, 1);
  }
  writeFileSync(join(dir, 'junk.nii.gz'), Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  await assert.rejects(readNiftiHeaderFile(join(dir, 'junk.nii.gz')), NiftiError);
});
