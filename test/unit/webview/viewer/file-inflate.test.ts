// The webview's piecewise inflate of a file's gzip bytes (DecompressionStream is global in Node too).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startFileInflate } from '../../../../webview/viewer/file-inflate.js';

/** A fake file: a 352-byte "header" of 0x55 bytes, then int16 voxels, then 7 trailing bytes. */
function fakeFile(voxels: Int16Array): Uint8Array {
  const bytes = new Uint8Array(352 + voxels.byteLength + 7).fill(0x55);
  bytes.set(new Uint8Array(voxels.buffer), 352);
  return bytes;
}

function pieces(bytes: Uint8Array, size: number): Uint8Array<ArrayBuffer>[] {
  const out: Uint8Array<ArrayBuffer>[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(new Uint8Array(bytes.subarray(at, at + size)));
  return out;
}

test('pieces of any size inflate to exactly the voxels after voxOffset', async () => {
  const voxels = new Int16Array(40_000).map((_, i) => (i * 37) % 3000 - 1024);
  const gzip = gzipSync(fakeFile(voxels));
  for (const size of [1, 1000, 65_536, gzip.length]) {
    const inflate = startFileInflate({ voxelType: 'int16', voxOffset: 352, voxelCount: voxels.length });
    for (const piece of pieces(gzip, size)) inflate.write(piece);
    inflate.close();
    const out = await inflate.voxels;
    assert.equal(out.voxelType, 'int16');
    assert.deepEqual(new Int16Array(out.buffer), voxels, `pieces of ${size} bytes`);
  }
});

test('a file shorter than the header says is an error, not short voxels', async () => {
  const voxels = new Int16Array(1000).fill(7);
  const inflate = startFileInflate({ voxelType: 'int16', voxOffset: 352, voxelCount: 2000 });
  for (const piece of pieces(gzipSync(fakeFile(voxels)), 500)) inflate.write(piece);
  inflate.close();
  await assert.rejects(inflate.voxels, /inflated file has 2359 bytes, the header needs 4352/);
});

test('corrupt gzip bytes and a dropped stream reject', async () => {
  const corrupt = startFileInflate({ voxelType: 'uint8', voxOffset: 0, voxelCount: 10 });
  corrupt.write(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff]));
  corrupt.close();
  await assert.rejects(corrupt.voxels);
  const dropped = startFileInflate({ voxelType: 'uint8', voxOffset: 0, voxelCount: 10 });
  dropped.write(new Uint8Array(gzipSync(new Uint8Array(5))));
  dropped.abort();
  await assert.rejects(dropped.voxels);
});
