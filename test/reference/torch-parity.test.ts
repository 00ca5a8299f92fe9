/**
 * anadiff against PyTorch (Debian python3-torch, CPU) with identical weights and inputs: forward logits, the loss and
 * every parameter gradient within 1e-4 relative, then five optimizer steps through the fused training-step graph
 * (losses and final parameters): AdamW, and SGD with Nesterov momentum and global-norm clipping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { presetConfig, type SegmenterConfig } from '../../src/core/nn/networks.js';
import { initParams } from '../../src/core/nn/params.js';
import { adamw, sgd, type OptimizerConfig } from '../../src/core/optim/optimizer.js';
import { learningRate, oneCycle } from '../../src/core/optim/schedules.js';
import { createRng, fillNormal, nextInt } from '../../src/core/random/rng.js';
import { buildGradientGraph, buildTrainStep, initialTrainState, type BatchShape } from '../../src/core/train/step.js';
import { createSession } from '../../src/node/engine/providers.js';
import { StepRunner, tensorFor } from '../../src/node/nets/step-runner.js';
import { toOnnxModel } from '../../src/core/onnx/index.js';
import { asNumbers, f32, i64, maxAbs, relativeError, torchMissing, torchReference } from './torch/peer.js';

const missing = torchMissing();
const TOL = 1e-4;
const CLASSES = 3;
const LR = 1e-3;
const STEPS = 5;

// A conv bias right before an InstanceNorm (or a GroupNorm of one channel per group) has a gradient of exactly zero
// in exact arithmetic: both frameworks return rounding noise. Such "null" gradients must be ~0 on our side too, and
// are left out of the after-step comparison, since Adam divides noise by its own magnitude in either framework.
// AdamW eps 1e-5 (not 1e-8) sits above the float32 rounding noise of single gradient entries (~1e-7 here, against a
// largest gradient of ~0.2): with eps 1e-8 Adam turns an entry whose gradient is pure noise into a full +-lr step.
const adam = { beta1: 0.9, beta2: 0.99, eps: 1e-5, weightDecay: 0.05 };
const adamCfg: OptimizerConfig = { rule: adamw(adam) };
const adamTorch = { kind: 'adamw', lr: LR, ...adam, steps: STEPS };
const sgdRule = { momentum: 0.9, weightDecay: 1e-3, nesterov: true };
const sgdCfg: OptimizerConfig = { rule: sgd(sgdRule), maxGradNorm: 0.05 }; // small enough that clipping acts
const sgdTorch = { kind: 'sgd', lr: 0.05, ...sgdRule, maxGradNorm: 0.05, steps: STEPS };
const schedule = oneCycle(3e-3, 40, { pctStart: 0.25 });

interface Case {
  readonly name: string;
  readonly net: SegmenterConfig;
  readonly shape: BatchShape;
  readonly optimizer: OptimizerConfig;
  readonly torchOptimizer: { readonly lr: number } & Record<string, unknown>;
}

const cases: Case[] = [
  { name: 'unet tiny, AdamW', net: presetConfig('unet', 'tiny', { outChannels: CLASSES, groups: 2 }), shape: { batch: 1, spatial: [8, 8, 12] }, optimizer: adamCfg, torchOptimizer: adamTorch },
  { name: 'unet pixel shuffle + instance norm, batch 2, AdamW', net: presetConfig('unet', 'tiny', { outChannels: CLASSES, upsample: 'pixelshuffle', norm: 'instance' }), shape: { batch: 2, spatial: [8, 4, 8] }, optimizer: adamCfg, torchOptimizer: adamTorch },
  { name: 'fpn3d tiny, AdamW', net: presetConfig('fpn3d', 'tiny', { outChannels: CLASSES }), shape: { batch: 1, spatial: [8, 8, 8] }, optimizer: adamCfg, torchOptimizer: adamTorch },
  { name: 'fpn3d tiny + FPN head, frozen backbone, AdamW', net: presetConfig('fpn3d', 'tiny', { outChannels: CLASSES, head: 'fpn', headChannels: 8, activation: 'silu' }), shape: { batch: 1, spatial: [8, 8, 8] }, optimizer: { ...adamCfg, groups: [{ prefix: 'backbone.', frozen: true }] }, torchOptimizer: { ...adamTorch, frozenPrefix: 'backbone.' } },
  { name: 'unet tiny relu, SGD Nesterov + clipping', net: presetConfig('unet', 'tiny', { outChannels: CLASSES, groups: 2, activation: 'relu' }), shape: { batch: 1, spatial: [8, 8, 8] }, optimizer: sgdCfg, torchOptimizer: sgdTorch },
];

for (const c of cases) {
  test(`${c.name}: logits, loss, gradients and ${STEPS} steps match PyTorch`, { skip: missing }, async (t) => {
    const grads = buildGradientGraph(c.net, { kind: 'softmax-ce' }, c.shape);
    const params = initParams(grads.params, createRng(7, 0));
    const rng = createRng(7, 1);
    const [d, h, w] = c.shape.spatial;
    const imageShape = [c.shape.batch, c.net.inChannels, d, h, w];
    const labelShape = [c.shape.batch, d, h, w];
    const image = new Float32Array(imageShape.reduce((a, b) => a * b, 1));
    fillNormal(rng, image);
    const labels = BigInt64Array.from({ length: labelShape.reduce((a, b) => a * b, 1) }, () => BigInt(nextInt(rng, CLASSES)));

    const reference = torchReference(
      { ...c.net, optimizer: c.torchOptimizer, schedule },
      new Map(grads.params.map((p) => [p.name, f32(p.shape, params.get(p.name)!)])),
      new Map([['image', f32(imageShape, image)], ['labels', i64(labelShape, labels)]]),
    );
    const report: string[] = [];
    const check = (what: string, ours: ArrayLike<number> | undefined, theirs: ArrayLike<number>): void => {
      assert.ok(ours, `${what}: anadiff produced no output`);
      const err = relativeError(ours, theirs);
      if (!(err <= TOL)) report.push(`${what}: relative error ${err.toExponential(2)}`);
    };

    // 1. forward, loss, gradients
    const session = await createSession(toOnnxModel(grads.graph), { threads: 1 });
    const out = await session.run(Object.fromEntries([
      ['image', tensorFor(grads.graph, 'image', image)], ['labels', tensorFor(grads.graph, 'labels', labels)],
      ...grads.params.map((p) => [p.name, tensorFor(grads.graph, p.name, params.get(p.name)!)]),
    ]));
    await session.release();
    check('logits', out.logits?.data as Float32Array, asNumbers(reference.get('logits'), 'logits'));
    check('loss', out.loss?.data as Float32Array, asNumbers(reference.get('loss'), 'loss'));
    const refGrad = (p: string): Float32Array | Float64Array => asNumbers(reference.get(`${p}.grad`), `${p}.grad`);
    const gradScale = Math.max(...grads.params.map((p) => maxAbs(refGrad(p.name))));
    const nullGrad = new Set(grads.params.filter((p) => maxAbs(refGrad(p.name)) < 1e-4 * gradScale).map((p) => p.name));
    assert.ok(nullGrad.size < grads.params.length / 3, `too many null gradients: ${[...nullGrad].join(', ')}`);
    for (const p of grads.params) {
      const ours = out[`${p.name}.grad`]?.data as Float32Array | undefined;
      if (nullGrad.has(p.name)) assert.ok(ours && maxAbs(ours) < 1e-5 * gradScale, `${p.name}.grad should be ~0, max |g| ${ours ? maxAbs(ours) : 'missing'}`);
      else check(`${p.name}.grad`, ours, refGrad(p.name));
    }
    if (nullGrad.size) t.diagnostic(`null gradients (zero in exact arithmetic): ${[...nullGrad].join(', ')}`);

    // 2. five steps on the same batch through the fused training-step graph
    const step = buildTrainStep({ net: c.net, loss: { kind: 'softmax-ce' }, optimizer: c.optimizer, shape: c.shape });
    const init = initialTrainState(step, createRng(0, 0));
    for (const [k, v] of params) init.set(k, v);
    const runner = await StepRunner.create(step, c.optimizer, init, { threads: 1 });
    const losses: number[] = [];
    const norms: number[] = [];
    for (let s = 0; s < STEPS; s++) {
      const r = await runner.run({ image, labels }, c.torchOptimizer.lr);
      losses.push(r.loss);
      if (step.gradNormOutput) norms.push(Number(r.outputs[step.gradNormOutput]?.data[0]));
    }
    await runner.release();
    check(`losses over ${STEPS} steps`, losses, asNumbers(reference.get('losses'), 'losses'));
    if (step.gradNormOutput) check('gradient norms before clipping', norms, asNumbers(reference.get('grad_norms'), 'grad_norms'));
    for (const p of step.trainable.filter((n) => !nullGrad.has(n))) {
      check(`${p} after ${STEPS} steps`, runner.value(p), asNumbers(reference.get(`${p}.after`), `${p}.after`));
    }
    for (const p of step.params.filter((q) => !step.trainable.includes(q.name))) {
      assert.deepEqual(asNumbers(reference.get(`${p.name}.after`), p.name), params.get(p.name), `frozen ${p.name} moved in PyTorch`);
    }
    // 3. the one-cycle schedule against torch.optim.lr_scheduler.OneCycleLR
    const lrs = Array.from({ length: schedule.totalSteps }, (_, s) => learningRate(schedule, s));
    check('one-cycle learning rates', lrs, asNumbers(reference.get('one_cycle_lrs'), 'one_cycle_lrs'));
    assert.deepEqual(report, [], `mismatches against PyTorch:\n${report.join('\n')}`);
  });
}
