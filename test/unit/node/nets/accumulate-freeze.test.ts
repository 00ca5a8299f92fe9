/**
 * Gradient accumulation and frozen parameter groups, run for real: K micro-batches through the grad step + one apply
 * step equal one step on the whole batch; a frozen backbone stays bit-identical while the head trains exactly as it
 * would with the backbone trainable (its gradient does not depend on the backbone's being updated).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { presetConfig } from '../../../../src/core/nn/networks.js';
import { adamw, sgd, type OptimizerConfig } from '../../../../src/core/optim/optimizer.js';
import { createRng, fillNormal, nextInt } from '../../../../src/core/random/rng.js';
import { buildApplyStep, buildGradStep, buildTrainStep, initialTrainState } from '../../../../src/core/train/step.js';
import { StepRunner } from '../../../../src/node/nets/step-runner.js';

function batch(n: number, voxels: number, seed: number): { image: Float32Array; labels: BigInt64Array } {
  const rng = createRng(seed, 1);
  const image = new Float32Array(n * voxels);
  fillNormal(rng, image);
  return { image, labels: BigInt64Array.from({ length: n * voxels }, () => BigInt(nextInt(rng, 2))) };
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let d = 0, s = 0;
  for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i]! - b[i]!)); s = Math.max(s, Math.abs(b[i]!)); }
  return d / s;
}

test('2 micro-batches of 1 accumulated, then applied, equal one step on the batch of 2 (AdamW, clipping)', async () => {
  const net = presetConfig('unet', 'tiny', { groups: 2 });
  const optimizer: OptimizerConfig = { rule: adamw({ eps: 1e-5 }), maxGradNorm: 0.5 };
  const voxels = 8 * 8 * 8;
  const { image, labels } = batch(2, voxels, 5);
  const full = buildTrainStep({ net, loss: { kind: 'softmax-ce' }, optimizer, shape: { batch: 2, spatial: [8, 8, 8] } });
  const micro = { net, loss: { kind: 'softmax-ce' } as const, optimizer, shape: { batch: 1, spatial: [8, 8, 8] as const } };
  const grad = buildGradStep(micro);
  const apply = buildApplyStep(micro, 2);
  const init = initialTrainState(full, createRng(9, 0));

  const whole = await StepRunner.create(full, optimizer, init, { threads: 1 });
  await whole.run({ image, labels }, 1e-2);

  const zeros = (): Map<string, Float32Array> => new Map(grad.carried.map((c) => [c.input, new Float32Array(init.get(c.input.slice('accum.'.length))!.length)]));
  const gradInit = new Map([...init].filter(([k]) => !k.startsWith('adamw.')));
  for (const [k, v] of zeros()) gradInit.set(k, v);
  const gradRunner = await StepRunner.create(grad, optimizer, gradInit, { threads: 1 });
  for (let m = 0; m < 2; m++) {
    await gradRunner.run({ image: image.slice(m * voxels, (m + 1) * voxels), labels: labels.slice(m * voxels, (m + 1) * voxels) }, 0);
  }
  const applyInit = new Map(init);
  for (const c of grad.carried) applyInit.set(c.input, gradRunner.value(c.input));
  const applyRunner = await StepRunner.create(apply, optimizer, applyInit, { threads: 1 });
  await applyRunner.run({}, 1e-2);

  for (const p of full.trainable) {
    const err = maxRelDiff(applyRunner.value(p), whole.value(p));
    assert.ok(err < 1e-5, `${p}: accumulated vs full batch differ by ${err.toExponential(2)}`);
  }
  for (const r of [whole, gradRunner, applyRunner]) await r.release();
});

test('frozen backbone: bit-identical after 3 steps, head trains exactly as in the unfrozen run (first step)', async () => {
  const net = presetConfig('fpn3d', 'tiny');
  const shape = { batch: 1, spatial: [8, 8, 8] as const };
  const { image, labels } = batch(1, 512, 6);
  const frozenCfg: OptimizerConfig = { rule: sgd({ momentum: 0.9 }), groups: [{ prefix: 'backbone.', frozen: true }] };
  const openCfg: OptimizerConfig = { rule: sgd({ momentum: 0.9 }) };
  const frozen = buildTrainStep({ net, loss: { kind: 'softmax-ce' }, optimizer: frozenCfg, shape });
  const open = buildTrainStep({ net, loss: { kind: 'softmax-ce' }, optimizer: openCfg, shape });
  const init = initialTrainState(open, createRng(2, 0));
  const a = await StepRunner.create(frozen, frozenCfg, init, { threads: 1 });
  const b = await StepRunner.create(open, openCfg, init, { threads: 1 });
  await a.run({ image, labels }, 0.1);
  await b.run({ image, labels }, 0.1);
  for (const p of frozen.trainable) assert.ok(maxRelDiff(a.value(p), b.value(p)) < 1e-6, `${p} differs from the unfrozen run`);
  const losses = [(await a.run({ image, labels }, 0.1)).loss, (await a.run({ image, labels }, 0.1)).loss];
  assert.ok(losses[1]! < losses[0]!, `the head still learns: ${losses.join(' -> ')}`);
  const backbone = frozen.params.filter((p) => p.name.startsWith('backbone.'));
  assert.ok(backbone.length > 0);
  for (const p of backbone) assert.deepEqual(a.value(p.name), init.get(p.name), `${p.name} changed`);
  for (const r of [a, b]) await r.release();
});
