// Diffusion pretraining's step graph (src/core/diffusion/train-step.ts): its inputs and carried state, the batch the
// host assembles, and that a few dozen AdamW steps on a phantom patch lower the loss on fixed held-out draws of t and
// noise (a real onnxruntime session, the same graph the trainer would run; about 5 s of CPU).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffusionPresetConfig } from '../../../../src/core/diffusion/network.js';
import { noiseSchedule } from '../../../../src/core/diffusion/schedule.js';
import { buildDiffusionTrainStep, diffusionBatch, DIFFUSION_INPUTS, toDiffusionRange } from '../../../../src/core/diffusion/train-step.js';
import { validateGraph } from '../../../../src/core/graph/index.js';
import { adamw, optimizerHyper, type OptimizerConfig } from '../../../../src/core/optim/optimizer.js';
import { makePhantom } from '../../../../src/core/phantom/index.js';
import { createRng } from '../../../../src/core/random/rng.js';
import { initialTrainState } from '../../../../src/core/train/step.js';
import { createGraphSession } from '../../../../src/node/ort/run-graph.js';

const net = diffusionPresetConfig('tiny');
const optimizer: OptimizerConfig = { rule: adamw({ weightDecay: 1e-6 }), maxGradNorm: 1 };
const schedule = noiseSchedule();
const STEPS = 30;

test('diffusion step: data inputs, every parameter and AdamW moment carried, time MLP and FiLM trained', () => {
  const step = buildDiffusionTrainStep({ net, optimizer, shape: { batch: 2, spatial: [8, 8, 8] } });
  validateGraph(step.graph);
  assert.deepEqual(step.data.map((d) => [d.name, d.shape]), [
    ['x0', [2, 1, 8, 8, 8]], ['noise', [2, 1, 8, 8, 8]], ['signal_scale', [2, 1, 1, 1, 1]], ['noise_scale', [2, 1, 1, 1, 1]], ['temb', [2, net.timeChannels]],
  ]);
  assert.equal(step.carried.length, 3 * step.params.length);
  for (const name of ['temb.fc1.weight', 'backbone.left0.res0.film1.weight', 'head.out.weight']) assert.ok(step.trainable.includes(name), name);
  assert.equal(step.lossOutput, 'loss');
  assert.equal(step.gradNormOutput, 'optim.grad_norm');
});

test('diffusionBatch: coefficients sqrt(abar_t) and sqrt(1 - abar_t) of the drawn t, embedding rows, deterministic per seed', () => {
  const x0 = toDiffusionRange(Float32Array.from({ length: 3 * 8 }, (_, i) => (i % 5) / 4));
  assert.ok(x0.every((v) => v >= -1 && v <= 1) && x0.includes(-1) && x0.includes(1));
  const a = diffusionBatch(createRng(4, 1), schedule, x0, 3, 16);
  const b = diffusionBatch(createRng(4, 1), schedule, x0, 3, 16);
  assert.deepEqual(a.timesteps, b.timesteps);
  assert.deepEqual(a.feeds.get(DIFFUSION_INPUTS.noise), b.feeds.get(DIFFUSION_INPUTS.noise));
  a.timesteps.forEach((t, i) => {
    const abar = schedule.alphaBars[t]!;
    assert.ok(Math.abs(a.feeds.get(DIFFUSION_INPUTS.signal)![i]! - Math.sqrt(abar)) < 1e-7);
    assert.ok(Math.abs(a.feeds.get(DIFFUSION_INPUTS.noiseScale)![i]! - Math.sqrt(1 - abar)) < 1e-7);
  });
  assert.equal(a.feeds.get(DIFFUSION_INPUTS.temb)!.length, 3 * 16);
  assert.ok(diffusionBatch(createRng(4, 1), schedule, x0, 3, 16, 11).timesteps.every((t) => t <= 10), 'tMax caps t');
});

/** A [16, 16, 16] patch of the phantom's abdomen, HU -1000..1000 to [0, 1] to [-1, 1], i fastest (= W of NCDHW). */
function phantomPatch(start: readonly [number, number, number]): Float32Array {
  const ct = makePhantom({ size: 'small', seed: 1 }).image;
  const [ni, nj] = ct.dims;
  const out = new Float32Array(16 ** 3);
  let n = 0;
  for (let k = 0; k < 16; k++) for (let j = 0; j < 16; j++) for (let i = 0; i < 16; i++) {
    const hu = ct.data[start[0] + i + (start[1] + j) * ni + (start[2] + k) * ni * nj]!;
    out[n++] = Math.min(1, Math.max(0, (hu + 1000) / 2000));
  }
  return toDiffusionRange(out);
}

test('diffusion: 30 AdamW steps on a phantom patch lower the loss on fixed held-out draws of t and noise', async (t) => {
  const started = Date.now();
  const batch = 2;
  const step = buildDiffusionTrainStep({ net, optimizer, shape: { batch, spatial: [16, 16, 16] } });
  const x0 = new Float32Array(batch * 16 ** 3);
  x0.set(phantomPatch([72, 56, 24]), 0);
  x0.set(phantomPatch([56, 64, 32]), 16 ** 3);
  const session = await createGraphSession(step.graph, { threads: 1 });
  let state = initialTrainState(step, createRng(0, 0));
  const run = async (feeds: ReadonlyMap<string, Float32Array>, stepNo: number, lr: number): Promise<{ loss: number; next: Map<string, Float32Array> }> => {
    const hyper = optimizerHyper(optimizer, stepNo, lr);
    const out = await session.run(Object.fromEntries([
      ...state, ...feeds, ...step.hyper.map((h) => [h, Float32Array.of(hyper[h] ?? 0)] as const),
    ]));
    const next = new Map(step.carried.map((c) => [c.input, out[c.output] as Float32Array]));
    return { loss: Number(out[step.lossOutput]![0]), next };
  };
  // Held-out: 6 batches of t and noise from their own seed, with the learning rate 0 (the loss is computed before
  // the update, so the state is only read).
  const heldOut = async (): Promise<number> => {
    const rng = createRng(99, 1);
    let sum = 0;
    for (let b = 0; b < 6; b++) sum += (await run(diffusionBatch(rng, schedule, x0, batch, net.timeChannels).feeds, 1, 0)).loss;
    return sum / 6;
  };
  try {
    const before = await heldOut();
    const rng = createRng(0, 1);
    const losses: number[] = [];
    for (let s = 1; s <= STEPS; s++) {
      const r = await run(diffusionBatch(rng, schedule, x0, batch, net.timeChannels).feeds, s, 2e-3);
      losses.push(r.loss);
      state = r.next;
    }
    const after = await heldOut();
    t.diagnostic(`held-out loss ${before.toFixed(3)} -> ${after.toFixed(3)}; training losses ${losses.slice(0, 3).map((l) => l.toFixed(3)).join(', ')} ... ${losses.slice(-3).map((l) => l.toFixed(3)).join(', ')}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.ok(losses.every(Number.isFinite));
    assert.ok(after < 0.7 * before, `held-out loss ${before} -> ${after}`);
  } finally {
    await session.release();
  }
});
