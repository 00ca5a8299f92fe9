import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError } from '../../../../src/core/checkpoint/manifest.js';
import type { NamedTensor } from '../../../../src/core/checkpoint/safetensors.js';
import { createRng, saveRng } from '../../../../src/core/random/rng.js';
import {
  listCheckpointSteps, loadCheckpoint, loadLatestCheckpoint, manifestPathFor, pruneCheckpoints, writeCheckpoint,
} from '../../../../src/node/engine/checkpoint-store.js';

const hash = 'ab'.repeat(32);
function content(step: number) {
  const tensors = new Map<string, NamedTensor>([
    ['w', { dtype: 'F32', shape: [2, 2], data: Float32Array.from([1, 2, 3, step]) }],
    ['adamw.m.w', { dtype: 'F32', shape: [2, 2], data: new Float32Array(4).fill(0.5) }],
    ['t', { dtype: 'I64', shape: [], data: BigInt64Array.of(BigInt(step)) }],
  ]);
  return { step, tensors, rng: saveRng(createRng(1)), graphHash: hash, config: { lr: 0.1 }, loss: 0.25 };
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-ckpt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('writes tensors + manifest and loads them back exactly', (t) => {
  const dir = tempDir(t);
  const path = writeCheckpoint(dir, content(7));
  const loaded = loadCheckpoint(path);
  assert.equal(loaded.manifest.step, 7);
  assert.deepEqual(loaded.manifest.config, { lr: 0.1 });
  assert.equal(loaded.manifest.loss, 0.25);
  assert.deepEqual(Array.from(loaded.tensors.get('w')!.data as Float32Array), [1, 2, 3, 7]);
  assert.equal((loaded.tensors.get('t')!.data as BigInt64Array)[0], 7n);
  assert.deepEqual(readdirSync(dir).sort(), ['step-00000007.json', 'step-00000007.safetensors'], 'no temp files left');
});

test('a tensor file without its manifest (write interrupted) is not a checkpoint', (t) => {
  const dir = tempDir(t);
  writeCheckpoint(dir, content(10));
  writeFileSync(join(dir, 'step-00000020.safetensors'), new Uint8Array(100));
  writeFileSync(join(dir, '.step-00000020.json.tmp-1234'), '{"format":');
  assert.deepEqual(listCheckpointSteps(dir), [10]);
  assert.equal(loadLatestCheckpoint(dir)?.manifest.step, 10);
});

test('truncated, corrupted or missing tensor files and bad manifests give CheckpointError naming the file', (t) => {
  const dir = tempDir(t);
  const path = writeCheckpoint(dir, content(3));
  const tensorFile = join(dir, 'step-00000003.safetensors');
  const original = readFileSync(tensorFile);

  truncateSync(tensorFile, original.byteLength - 10);
  assert.throws(() => loadCheckpoint(path), (e: Error) => e instanceof CheckpointError && /truncated/.test(e.message) && e.message.includes(tensorFile));

  const flipped = Buffer.from(original);
  flipped[flipped.length - 1]! ^= 1;
  writeFileSync(tensorFile, flipped);
  assert.throws(() => loadCheckpoint(path), /sha256 .* does not match/);

  rmSync(tensorFile);
  assert.throws(() => loadCheckpoint(path), /missing/);

  writeFileSync(tensorFile, original);
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  writeFileSync(path, JSON.stringify({ ...manifest, step: -1 }));
  assert.throws(() => loadCheckpoint(path), /"step" must be a non-negative integer/);
  writeFileSync(path, '{"format": "anadiff-checkpoint", ');
  assert.throws(() => loadCheckpoint(path), /not valid JSON/);
  writeFileSync(path, JSON.stringify({ ...manifest, tensors: { name: '../evil', bytes: 10, sha256: hash } }));
  assert.throws(() => loadCheckpoint(path), /plain file name/);
});

test('prune keeps the newest N and drops steps after a resume point', (t) => {
  const dir = tempDir(t);
  for (const s of [10, 20, 30, 40]) writeCheckpoint(dir, content(s));
  pruneCheckpoints(dir, 10, 30);
  assert.deepEqual(listCheckpointSteps(dir), [10, 20, 30]);
  pruneCheckpoints(dir, 2);
  assert.deepEqual(listCheckpointSteps(dir), [20, 30]);
  assert.equal(readdirSync(dir).length, 4);
  assert.ok(manifestPathFor(dir, 30).endsWith('step-00000030.json'));
});
