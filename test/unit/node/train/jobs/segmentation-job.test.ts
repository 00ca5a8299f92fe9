/**
 * The segmentation job with the real networks (tiny presets, small patches of the phantom): built from its plain-data
 * spec (buildStepProgram, as a run's config.json rebuilds it) the loss falls; stop + resume reproduces the
 * uninterrupted loss sequence exactly; the exported model.onnx runs in a fresh plain-Node process and matches the
 * trained weights. (kill -9 + resume of `anadiff train` itself: test/unit/node/runs/run-faults.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { createRng } from '../../../../../src/core/random/rng.js';
import { loadLatestCheckpoint } from '../../../../../src/node/engine/checkpoint-store.js';
import { buildStepProgram } from '../../../../../src/node/train/jobs/index.js';
import { ortTensorOf } from '../../../../../src/node/engine/ort-tensors.js';
import { createSession } from '../../../../../src/node/engine/providers.js';
import { drawBatch, prepareVolume } from '../../../../../src/node/train/jobs/segmentation-data.js';
import { segmentationProgramFrom } from '../../../../../src/node/train/jobs/segmentation.js';
import { runTraining, type TrainerEvent, type TrainOptions, type TrainRequestParams } from '../../../../../src/node/engine/trainer.js';
import type { SegmentationJob } from '../../../../../src/node/train/jobs/job-spec.js';

const root = join(__dirname, '../../../../..');

// Liver against everything else on the phantom, in a soft-tissue window (liver 60 HU vs muscle 50-55 HU: the CT
// window [-1350, 1000] would leave a 0.004 contrast), patches anchored on the liver 70% of the time.
const unetJob: SegmentationJob = {
  kind: 'segmentation', net: 'unet', preset: 'tiny', channels: 8, patch: [32, 32, 16], batch: 2, loss: 'softmax-ce',
  optimizer: { rule: 'adamw', weightDecay: 1e-4, maxGradNorm: 5 },
  schedule: { kind: 'warmup-cosine', baseLr: 2e-2, warmupSteps: 3, totalSteps: 60, minLr: 1e-3 },
  data: { kind: 'phantom', size: 'small', seed: 1 }, labels: [6], window: [-100, 200], classProbability: 0.7,
};
// The other network, loss and optimizer: FPN3d + FPN head, BCE + soft Dice over two organs, SGD Nesterov, one-cycle.
const fpnJob: SegmentationJob = {
  kind: 'segmentation', net: 'fpn3d', preset: 'tiny', head: 'fpn', patch: [16, 16, 8], loss: 'bce-dice',
  optimizer: { rule: 'sgd', momentum: 0.9, nesterov: true, maxGradNorm: 1 },
  schedule: { kind: 'one-cycle', maxLr: 0.05, totalSteps: 20, pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 },
  data: { kind: 'phantom' }, labels: [6, 1], window: [-100, 200],
};

function tempDir(t: { after: (fn: () => void) => void }, tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `anadiff-seg-${tag}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
function losses(runDir: string): number[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { loss: number }).loss);
}
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const request = (runDir: string, over: Partial<TrainRequestParams> = {}): TrainRequestParams =>
  ({ runDir, steps: 60, checkpointEvery: 20, seed: 7, resume: true, provider: 'cpu', threads: 2, ...over });

test('built from its spec the UNet loss falls, and model.onnx runs in a fresh process with the trained weights', async (t) => {
  const dir = tempDir(t, 'spec');
  const events: TrainerEvent[] = [];
  const result = await runTraining(await buildStepProgram(unetJob), { ...request(dir, { exportOnnx: true }), config: { job: 'unet' }, onEvent: (e) => events.push(e) });
  assert.equal(result.step, 60);
  const l = losses(dir);
  const progress = events.filter((e) => e.kind === 'progress');
  assert.equal(progress.length, 60);
  assert.ok(progress.every((e) => typeof e.lr === 'number' && e.lr > 0), 'the schedule\'s lr is reported per step');
  assert.ok(Math.abs(progress[2]!.lr! - 2e-2) < 1e-9, 'warmup reaches baseLr at step 3');
  // Each step sees a fresh random patch, so single losses are noisy: compare means (deterministic: fixed seed, CPU).
  const early = mean(l.slice(0, 5)), late = mean(l.slice(-15));
  t.diagnostic(`loss: first 5 ${early.toFixed(3)}, last 15 ${late.toFixed(3)}`);
  assert.ok(l.every(Number.isFinite));
  assert.ok(late < 0.8 * early, `loss should fall: first 5 mean ${early}, last 15 mean ${late}`);

  // model.onnx in plain Node (no tsx, no anadiff code), fed one patch; compared with the inference graph run here
  // with the final checkpoint's parameters fed as inputs.
  const prepared = await prepareVolume(unetJob);
  const program = segmentationProgramFrom(unetJob, prepared);
  const image = drawBatch(createRng(99, 1), prepared, unetJob, 2).get('image')!;
  writeFileSync(join(dir, 'image.bin'), image.data);
  const script = `
    const ort = require('onnxruntime-node');
    const fs = require('fs');
    (async () => {
      const s = await ort.InferenceSession.create(process.argv[1]);
      const buf = fs.readFileSync(process.argv[2]);
      const x = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      const out = await s.run({ image: new ort.Tensor('float32', x, ${JSON.stringify(image.shape)}) });
      fs.writeFileSync(process.argv[3], out.probs.data);
      console.log(JSON.stringify({ inputs: s.inputNames, dims: out.probs.dims }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const stdout = execFileSync(process.execPath, ['-e', script, result.modelPath!, join(dir, 'image.bin'), join(dir, 'probs.bin')], { cwd: root, encoding: 'utf8' });
  const child = JSON.parse(stdout) as { inputs: string[]; dims: number[] };
  assert.deepEqual(child.inputs, ['image'], 'weights are initializers, only the image is an input');
  assert.deepEqual(child.dims, [2, 2, 16, 32, 32]);
  const bytes = readFileSync(join(dir, 'probs.bin'));
  const probs = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);

  const state = loadLatestCheckpoint(join(dir, 'checkpoints'))!.tensors;
  const session = await createSession(program.inference!.model, { threads: 2 });
  const feeds: Record<string, ort.Tensor> = { image: ortTensorOf(image) };
  for (const name of program.inference!.params) feeds[name] = ortTensorOf(state.get(name)!);
  const want = (await session.run(feeds))['probs']!.data as Float32Array;
  await session.release();
  assert.equal(probs.length, want.length);
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(probs[i]! - want[i]!));
  assert.ok(maxDiff < 1e-5, `model.onnx vs inference graph + checkpoint: max |diff| ${maxDiff}`);
  const voxels = 16 * 32 * 32;
  assert.ok(Math.abs(probs[0]! + probs[voxels]! - 1) < 1e-5, 'softmax over the two classes sums to 1');
});

test('FPN3d + bce-dice + SGD: stop and resume reproduce the uninterrupted loss sequence exactly', async (t) => {
  const prepared = await prepareVolume(fpnJob);
  const whole = tempDir(t, 'whole');
  const parts = tempDir(t, 'parts');
  const options = (runDir: string, over: Partial<TrainOptions> = {}): TrainOptions =>
    ({ runDir, steps: 20, checkpointEvery: 5, seed: 3, resume: true, provider: 'cpu', threads: 2, config: { job: 'fpn' }, ...over });
  await runTraining(segmentationProgramFrom(fpnJob, prepared), options(whole));
  let n = 0;
  const first = await runTraining(segmentationProgramFrom(fpnJob, prepared), options(parts, { shouldStop: () => n++ >= 8 }));
  assert.equal(first.stoppedBy, 'cancelled');
  assert.equal(first.step, 8);
  const second = await runTraining(segmentationProgramFrom(fpnJob, prepared), options(parts));
  assert.equal(second.resumedFrom, 8);
  assert.equal(second.step, 20);
  const l = losses(parts);
  assert.equal(l.length, 20);
  assert.ok(l.every(Number.isFinite));
  assert.deepEqual(l, losses(whole));
});
