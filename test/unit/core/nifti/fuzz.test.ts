// Mutation fuzzing: whatever the bytes, decoding either succeeds with a consistent image or throws NiftiError.
// Nothing else may escape, nothing may hang, and the voxel cap bounds every allocation.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { test } from 'node:test';
import { decodeNifti, encodeNifti, NiftiError } from '../../../../src/core/nifti/index.js';
import { readNiftiBytes } from '../../../../src/node/nifti/index.js';
import { LPS_AFFINE, smallNifti } from './testing.js';

const SHARED_DATA = resolve(__dirname, '../../../../../shared/data');
const CASES = 10_000;
const GZIP_CASES = 1_500;
/** Small enough that a mutated header can never make the decoder allocate more than ~16 MB of float32. */
const MAX_VOXELS = 1 << 22;

/** Deterministic so a failure can be replayed; the seed is in the failure message. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bases(): { name: string; bytes: Uint8Array }[] {
  const generated = [
    { name: 'int16 LPS', bytes: smallNifti() },
    { name: 'float32', bytes: encodeNifti({ dims: [7, 3, 5], ijkToRas: LPS_AFFINE, data: new Float32Array(105).map((_, i) => Math.sin(i) * 100) }) },
    { name: 'uint8', bytes: encodeNifti({ dims: [9, 9, 2], ijkToRas: LPS_AFFINE, data: new Uint8Array(162).map((_, i) => i % 14) }) },
  ];
  const real = ['formats/functional.nii', 'formats/anatomical.nii', 'formats/example_nifti2.nii.gz', 'totalsegmentator/example_seg_mr.nii.gz']
    .map((f) => resolve(SHARED_DATA, f))
    .filter((f) => existsSync(f))
    .map((f) => {
      const raw = readFileSync(f);
      return { name: f, bytes: new Uint8Array(f.endsWith('.gz') ? gunzipSync(raw) : raw) };
    });
  return [...generated, ...real];
}

/** Header offsets (NIfTI-1 and NIfTI-2) worth hitting with boundary values. */
const FIELD_OFFSETS = [0, 4, 12, 14, 16, 24, 40, 42, 44, 46, 48, 56, 70, 72, 76, 80, 108, 112, 116, 168, 176, 184, 252, 254, 256, 280, 344, 348, 352, 356, 400, 540, 544];
const INTERESTING = [0, 1, -1, 2, 7, 8, 255, 256, 348, 540, 32767, -32768, 0x7fffffff, -0x80000000, 0xffffffff];

function mutate(base: Uint8Array, random: () => number): Uint8Array {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const bytes = new Uint8Array(base);
  const view = new DataView(bytes.buffer);
  const mode = Math.floor(random() * 6);
  const headerEnd = Math.min(bytes.length, 600);
  switch (mode) {
    case 0: // flip a few header bytes
      for (let n = 1 + Math.floor(random() * 4); n > 0; n--) bytes[Math.floor(random() * headerEnd)] = Math.floor(random() * 256);
      return bytes;
    case 1: { // boundary integer in a header field, either byte order and width
      const at = pick(FIELD_OFFSETS);
      if (at + 4 > bytes.length) return bytes;
      const v = pick(INTERESTING);
      if (random() < 0.5) view.setInt16(at, v, random() < 0.5);
      else view.setUint32(at, v >>> 0, random() < 0.5);
      return bytes;
    }
    case 2: { // special float in a header field
      const at = pick(FIELD_OFFSETS);
      if (at + 8 > bytes.length) return bytes;
      const v = pick([Number.NaN, Number.POSITIVE_INFINITY, -1e30, 1e30, -0.5, 3.5, 1e9]);
      if (random() < 0.5) view.setFloat32(at, v, true);
      else view.setFloat64(at, v, true);
      return bytes;
    }
    case 3: // truncate
      return bytes.subarray(0, Math.floor(random() * bytes.length));
    case 4: { // append garbage
      const out = new Uint8Array(bytes.length + 1 + Math.floor(random() * 64));
      out.set(bytes);
      for (let i = bytes.length; i < out.length; i++) out[i] = Math.floor(random() * 256);
      return out;
    }
    default: // scribble over voxel data
      for (let n = 0; n < 16; n++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      return bytes;
  }
}

function checkOutcome(result: PromiseSettledResult<Awaited<ReturnType<typeof decodeNifti>>>, context: string): 'ok' | 'error' {
  if (result.status === 'rejected') {
    if (!(result.reason instanceof NiftiError)) assert.fail(`${context}: escaped ${String(result.reason)}\n${(result.reason as Error)?.stack ?? ''}`);
    assert.ok(result.reason.message.length > 10, `${context}: an empty message`);
    return 'error';
  }
  const image = result.value;
  assert.equal(image.data.length, image.dims[0] * image.dims[1] * image.dims[2], `${context}: data length`);
  assert.ok(image.data.length <= MAX_VOXELS, `${context}: over the voxel cap`);
  assert.ok(image.ijkToRas.every(Number.isFinite), `${context}: non-finite affine`);
  return 'ok';
}

test(`${CASES} mutated NIfTI files: only NiftiError escapes`, { timeout: 120_000 }, async () => {
  const sources = bases();
  const random = rng(20_250_101);
  const counts = { ok: 0, error: 0 };
  const rssBefore = process.memoryUsage().rss;
  for (let n = 0; n < CASES; n++) {
    const base = sources[n % sources.length]!;
    const bytes = mutate(base.bytes, random);
    const [result] = await Promise.allSettled([decodeNifti(bytes, { maxVoxels: MAX_VOXELS, frame: n % 3 === 0 ? 1 : 0 })]);
    counts[checkOutcome(result!, `case ${n} from ${base.name}`)]++;
  }
  console.log(`fuzz outcomes: ${JSON.stringify(counts)}`);
  // Both outcomes must occur, or the mutations are not exercising anything.
  assert.ok(counts.ok > CASES / 20 && counts.error > CASES / 20, JSON.stringify(counts));
  assert.ok(process.memoryUsage().rss - rssBefore < 1 << 30, 'memory grew by more than 1 GiB');
});

test(`${GZIP_CASES} mutated .nii.gz files through the file reader: only NiftiError escapes`, { timeout: 120_000 }, async () => {
  const sources = bases().map((b) => ({ name: b.name, bytes: new Uint8Array(gzipSync(b.bytes, { level: 1 })) }));
  const random = rng(7);
  const counts = { ok: 0, error: 0 };
  for (let n = 0; n < GZIP_CASES; n++) {
    const base = sources[n % sources.length]!;
    const bytes = new Uint8Array(base.bytes);
    if (random() < 0.5) {
      const at = 10 + Math.floor(random() * (bytes.length - 10));
      bytes[at] = (bytes[at] ?? 0) ^ (1 << Math.floor(random() * 8));
    }
    const cut = random() < 0.5 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
    const [result] = await Promise.allSettled([readNiftiBytes(cut, { maxVoxels: MAX_VOXELS })]);
    counts[checkOutcome(result!, `gzip case ${n} from ${base.name}`)]++;
  }
  assert.ok(counts.error > GZIP_CASES / 4, JSON.stringify(counts));
});
