import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toyLinearProgram } from '../../../../src/node/train/jobs/toy-linear.js';
import { runTraining, type TrainOptions } from '../../../../src/node/engine/trainer.js';
import { CheckpointError } from '../../../../src/core/checkpoint/manifest.js';

const job = { kind: 'toy-linear' as const };

function options(runDir: string, over: Partial<TrainOptions> = {}): TrainOptions {
  return { runDir, steps: 30, checkpointEvery: 10, seed: 5, resume: true, provider: 'cpu', threads: 2, config: { job }, ...over };
}

function losses(runDir: string): number[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { loss: number }).loss);
}

test('trains the toy job: loss falls, checkpoints every N and at the end, model.onnx exported', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-trainer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const events: string[] = [];
  const result = await runTraining(toyLinearProgram(job), options(dir, { steps: 25, exportOnnx: true, onEvent: (e) => events.push(e.kind) }));
  assert.equal(result.step, 25);
  assert.equal(result.stoppedBy, 'done');
  assert.equal(result.provider, 'cpu');
  const l = losses(dir);
  assert.equal(l.length, 25);
  assert.ok(l[24]! < l[0]! * 0.05, `loss ${l[0]} -> ${l[24]}`);
  assert.deepEqual(readdirSync(join(dir, 'checkpoints')).filter((f) => f.endsWith('.json')).sort(),
    ['step-00000010.json', 'step-00000020.json', 'step-00000025.json']);
  assert.equal(events.filter((e) => e === 'progress').length, 25);
  assert.ok(result.modelPath?.endsWith('model.onnx'));
});

test('resume reproduces the uninterrupted loss sequence exactly', async (t) => {
  const whole = mkdtempSync(join(tmpdir(), 'anadiff-whole-'));
  const parts = mkdtempSync(join(tmpdir(), 'anadiff-parts-'));
  t.after(() => { rmSync(whole, { recursive: true, force: true }); rmSync(parts, { recursive: true, force: true }); });
  await runTraining(toyLinearProgram(job), options(whole));
  // Stop after 14 steps (cancellation between steps writes a checkpoint at 14), then resume to 30.
  let n = 0;
  const first = await runTraining(toyLinearProgram(job), options(parts, { shouldStop: () => n++ >= 14 }));
  assert.equal(first.stoppedBy, 'cancelled');
  assert.equal(first.step, 14);
  const second = await runTraining(toyLinearProgram(job), options(parts));
  assert.equal(second.resumedFrom, 14);
  assert.equal(second.step, 30);
  assert.deepEqual(losses(parts), losses(whole));
});

test('a fresh run refuses a folder with checkpoints; a changed graph refuses to resume', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-refuse-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await runTraining(toyLinearProgram(job), options(dir, { steps: 10 }));
  await assert.rejects(runTraining(toyLinearProgram(job), options(dir, { resume: false })), /already holds checkpoints/);
  await assert.rejects(runTraining(toyLinearProgram({ kind: 'toy-linear', momentum: 0.5 }), options(dir)), CheckpointError);
});

test('a corrupt newest checkpoint stops the resume with a clear error instead of loading it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-corrupt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await runTraining(toyLinearProgram(job), options(dir, { steps: 10 }));
  const file = join(dir, 'checkpoints', 'step-00000010.safetensors');
  const bytes = readFileSync(file);
  bytes[bytes.length - 3]! ^= 0xff;
  writeFileSync(file, bytes);
  await assert.rejects(runTraining(toyLinearProgram(job), options(dir, { steps: 20 })), (e: Error) =>
    e instanceof CheckpointError && /sha256/.test(e.message) && e.message.includes(file));
  assert.equal(losses(dir).length, 10, 'metrics untouched by the refused resume');
});
