import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckpointMismatchError } from '../../../../src/core/checkpoint/fit.js';
import { CheckpointError } from '../../../../src/core/checkpoint/manifest.js';
import type { NamedTensor } from '../../../../src/core/checkpoint/safetensors.js';
import { sha256Hex } from '../../../../src/node/io/atomic-write.js';
import type { LoadedCheckpoint } from '../../../../src/node/engine/checkpoint-store.js';
import type { CarriedState, StepProgram } from '../../../../src/node/engine/step-program.js';
import { unfreezeResumePoint } from '../../../../src/node/train/unfreeze.js';

/** A step program reduced to what a checkpoint check reads: its graph bytes and carried state. */
const program = (tag: string, carry: readonly [string, 'param' | 'state', number][]): StepProgram => ({
  model: new TextEncoder().encode(tag),
  carry: carry.map(([input, role, n]): CarriedState => ({ input, output: `${input}.next`, role, dtype: 'F32', shape: [n] })),
  lossOutput: 'loss',
  initState: () => assert.fail('the conversion never draws a fresh init'),
  batch: () => assert.fail('not run'),
});
const frozen = program('frozen', [['backbone.w', 'param', 3], ['head.w', 'param', 2], ['adamw.m.head.w', 'state', 2], ['adamw.v.head.w', 'state', 2]]);
const unfrozen = program('unfrozen', [['backbone.w', 'param', 3], ['head.w', 'param', 2], ['adamw.m.backbone.w', 'state', 3], ['adamw.v.backbone.w', 'state', 3], ['adamw.m.head.w', 'state', 2], ['adamw.v.head.w', 'state', 2]]);
const t = (...xs: number[]): NamedTensor => ({ dtype: 'F32', shape: [xs.length], data: Float32Array.from(xs) });
const checkpointOf = (p: StepProgram, tensors: Record<string, NamedTensor>): LoadedCheckpoint => ({
  manifestPath: '/run/checkpoints/step-00000004.json',
  tensors: new Map(Object.entries(tensors)),
  manifest: {
    format: 'anadiff-checkpoint', version: 1, step: 4, createdAt: 'x', graphHash: sha256Hex(p.model), rng: { algorithm: 'xoshiro128**', s: [1, 2, 3, 4] },
    config: null, tensors: { name: 'step-00000004.safetensors', bytes: 8, sha256: '0'.repeat(64) }, writer: { anadiff: '0.1.0' },
  },
});
const frozenTensors = { 'backbone.w': t(1, 2, 3), 'head.w': t(4, 5), 'adamw.m.head.w': t(0.1, 0.2), 'adamw.v.head.w': t(0.3, 0.4) };

test('unfreezing keeps every tensor and starts the backbone\'s optimizer state at zero, in memory', () => {
  const checkpoint = checkpointOf(frozen, frozenTensors);
  const point = unfreezeResumePoint(checkpoint, frozen, unfrozen);
  assert.equal(point.step, 4);
  assert.deepEqual([...point.tensors.keys()], unfrozen.carry.map((c) => c.input));
  for (const [name, value] of Object.entries(frozenTensors)) assert.equal(point.tensors.get(name), value, `${name} kept as is`);
  assert.deepEqual([...point.tensors.get('adamw.m.backbone.w')!.data], [0, 0, 0]);
  assert.deepEqual([...point.tensors.get('adamw.v.backbone.w')!.data], [0, 0, 0]);
  assert.equal(checkpoint.tensors.size, 4, 'the loaded checkpoint is not modified');
});

test('unfreezing refuses a checkpoint of another graph, a new parameter, or a tensor it would drop, naming it', () => {
  const foreign = checkpointOf(unfrozen, frozenTensors);
  assert.throws(() => unfreezeResumePoint(foreign, frozen, unfrozen), (e: unknown) => e instanceof CheckpointMismatchError && /step graph differs/.test(e.message));
  const missing = checkpointOf(frozen, Object.fromEntries(Object.entries(frozenTensors).filter(([name]) => name !== 'head.w')));
  assert.throws(() => unfreezeResumePoint(missing, frozen, unfrozen), /tensor head\.w is missing/);
  const grown = program('grown', [...unfrozen.carry.map((c) => [c.input, c.role, c.shape[0]!] as [string, 'param' | 'state', number]), ['head.extra.weight', 'param', 2]]);
  assert.throws(() => unfreezeResumePoint(checkpointOf(frozen, frozenTensors), frozen, grown), (e: unknown) =>
    e instanceof CheckpointError && /head\.extra\.weight has no value in the frozen checkpoint and is not optimizer state/.test(e.message));
  const shrunk = program('shrunk', unfrozen.carry.filter((c) => c.input !== 'head.w').map((c) => [c.input, c.role, c.shape[0]!] as [string, 'param' | 'state', number]));
  assert.throws(() => unfreezeResumePoint(checkpointOf(frozen, frozenTensors), frozen, shrunk), /head\.w of the frozen checkpoint has no place/);
});
