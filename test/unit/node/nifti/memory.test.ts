import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { encodeNifti } from '../../../../src/core/nifti/index.js';

// Peak memory of reading, each in a fresh child process (maxRSS is a process-wide high-water mark). The volume is a
// 512x512x120 int16 CT-like file (63 MB of voxels, more than the one-shot limit, so it is streamed): 40% of the
// 512x512x300 CT of issue 8, generated in a few seconds. Inflated pieces are garbage until V8's next collection,
// which external memory triggers late (50 to 110 MB measured), hence bounds with that much slack. The old reader
// held at least the raw frame plus the float32 frame (plus the compressed file) in every case, so each bound
// below fails on it. Before the streaming decoder, reading held the compressed
// file, the raw frame and the float32 copy at once; `info` kept the float32 copy only to print the range.
const MB = 1 << 20;
const dims: [number, number, number] = [512, 512, 120];
const voxels = dims[0] * dims[1] * dims[2];
const dir = mkdtempSync(join(tmpdir(), 'anadiff-nifti-memory-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ct = join(dir, 'ct.nii.gz'), labels = join(dir, 'labels.nii.gz');
const root = resolve(__dirname, '../../../..');
const child = join(__dirname, 'peak-rss-child.ts');

function writeVolumes(): void {
  const hu = new Int16Array(voxels), ids = new Uint8Array(voxels);
  for (let k = 0, v = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++, v++) {
    const r = Math.hypot(i - 256, j - 256);
    hu[v] = r > 230 ? -1000 : Math.round(40 + 30 * Math.sin(i * 0.3) * Math.cos(j * 0.2 + k * 0.1) + ((i * 7919 + j * 104729 + k) % 23));
    ids[v] = r < 60 ? 6 : r < 90 ? 1 : 0;
  }
  writeFileSync(ct, gzipSync(encodeNifti({ dims, ijkToRas: [0.8, 0, 0, 0, 0, 0.8, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1], data: hu }), { level: 1 }));
  writeFileSync(labels, gzipSync(encodeNifti({ dims, ijkToRas: [0.8, 0, 0, 0, 0, 0.8, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1], data: ids }), { level: 1 }));
}

/** Bytes the command added to the child's resident set at its peak. */
function peakAdded(...args: string[]): number {
  const out = execFileSync(process.execPath, ['--import', 'tsx', child, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 16 * MB });
  const line = out.split('\n').find((l) => l.startsWith('PEAK '));
  assert.ok(line, `no PEAK line in:\n${out}`);
  const { baseBytes, maxBytes } = JSON.parse(line.slice(5)) as { baseBytes: number; maxBytes: number };
  return maxBytes - baseBytes;
}

writeVolumes();

test('info streams the voxels for the range and keeps none of them: less than the float32 copy alone', () => {
  const added = peakAdded('info', ct);
  assert.ok(added < voxels * 4, `info added ${(added / MB).toFixed(1)} MB (the float32 copy alone would be ${(voxels * 4 / MB).toFixed(0)} MB)`);
});

test('reading as float32 holds the float32 frame and little else (no compressed file, no raw frame)', () => {
  const added = peakAdded('read:float32', ct);
  const float32 = voxels * 4;
  assert.ok(added < float32 + voxels * 2, `read added ${(added / MB).toFixed(1)} MB for a ${(float32 / MB).toFixed(0)} MB float32 frame (raw frame: ${(voxels * 2 / MB).toFixed(0)} MB)`);
});

test('a label map read as uint8 costs one byte per voxel: less than the float32 copy alone', () => {
  const added = peakAdded('read:uint8', labels);
  assert.ok(added < voxels * 4, `label read added ${(added / MB).toFixed(1)} MB for ${(voxels / MB).toFixed(0)} M voxels`);
});
