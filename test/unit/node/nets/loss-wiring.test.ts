/**
 * The losses besides softmax CE are wired into the training step with the right data inputs: MSE against a float
 * target (checked against the loss recomputed on the host from the eval graph's logits) and vox2vec's BCE + soft Dice
 * with a body mask; a few steps on a fixed batch reduce each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { presetConfig } from '../../../../src/core/nn/networks.js';
import { initParams } from '../../../../src/core/nn/params.js';
import { toOnnxModel } from '../../../../src/core/onnx/index.js';
import { adamw, type OptimizerConfig } from '../../../../src/core/optim/optimizer.js';
import { createRng, fillNormal, nextFloat } from '../../../../src/core/random/rng.js';
import { buildEvalGraph, buildTrainStep, initialTrainState, type BatchShape } from '../../../../src/core/train/step.js';
import type { LossConfig } from '../../../../src/core/train/loss.js';
import { createSession } from '../../../../src/node/engine/providers.js';
import { StepRunner, tensorFor } from '../../../../src/node/nets/step-runner.js';

const net = presetConfig('unet', 'tiny', { outChannels: 2, groups: 2 });
const shape: BatchShape = { batch: 1, spatial: [8, 8, 8] };
const voxels = 512;
const optimizer: OptimizerConfig = { rule: adamw({ weightDecay: 0 }) };

function data(): { image: Float32Array; target: Float32Array; mask: Float32Array } {
  const rng = createRng(4, 1);
  const image = new Float32Array(voxels);
  fillNormal(rng, image);
  // channel 0: image > 0, channel 1: image < -0.5; the mask drops a quarter of the voxels
  const target = Float32Array.from({ length: 2 * voxels }, (_, i) => (i < voxels ? (image[i]! > 0 ? 1 : 0) : image[i - voxels]! < -0.5 ? 1 : 0));
  const mask = Float32Array.from({ length: voxels }, () => (nextFloat(rng) < 0.75 ? 1 : 0));
  return { image, target, mask };
}

async function losses(loss: LossConfig, feeds: Record<string, Float32Array>, steps: number, lr = 1e-2): Promise<number[]> {
  const step = buildTrainStep({ net, loss, optimizer, shape });
  assert.deepEqual(step.data.map((d) => d.name).sort(), ['image', ...Object.keys(feeds).filter((k) => k !== 'image')].sort());
  const runner = await StepRunner.create(step, optimizer, initialTrainState(step, createRng(1, 0)), { threads: 1 });
  const out: number[] = [];
  for (let s = 0; s < steps; s++) out.push((await runner.run(feeds, lr)).loss);
  await runner.release();
  return out;
}

test('mse: the graph loss equals mean((logits - target)^2) on the host, and training reduces it', async () => {
  const { image, target } = data();
  const evalGraph = buildEvalGraph(net, { kind: 'mse' }, shape);
  const params = initParams(evalGraph.params, createRng(1, 0));
  const session = await createSession(toOnnxModel(evalGraph.graph), { threads: 1 });
  const out = await session.run(Object.fromEntries([
    ['image', tensorFor(evalGraph.graph, 'image', image)], ['target', tensorFor(evalGraph.graph, 'target', target)],
    ...[...params].map(([k, v]) => [k, tensorFor(evalGraph.graph, k, v)]),
  ]));
  await session.release();
  const logits = out.logits?.data as Float32Array;
  const host = logits.reduce((s, z, i) => s + (z - target[i]!) ** 2, 0) / logits.length;
  assert.ok(Math.abs(Number(out.loss?.data[0]) - host) < 1e-5 * host, `graph ${out.loss?.data[0]} vs host ${host}`);
  const l = await losses({ kind: 'mse' }, { image, target }, 8);
  assert.ok(l[7]! < 0.5 * l[0]!, `mse ${l.map((x) => x.toFixed(3)).join(' ')}`);
});

test('bce-dice with a body mask: finite, in range, reduced by training', async (t) => {
  const { image, target, mask } = data();
  const l = await losses({ kind: 'bce-dice' }, { image, target, mask }, 10, 3e-2);
  t.diagnostic(`bce-dice ${l.map((x) => x.toFixed(3)).join(' ')}`);
  assert.ok(l.every(Number.isFinite));
  assert.ok(l[0]! > 0.5 && l[0]! < 3, `initial BCE + Dice ${l[0]}`);
  assert.ok(l[9]! < 0.75 * l[0]!, `bce-dice ${l.map((x) => x.toFixed(3)).join(' ')}`);
});
