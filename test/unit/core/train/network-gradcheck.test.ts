/**
 * Whole-network gradient checks: the analytic gradient of the loss (autodiff through every layer of the tiny UNet
 * and FPN3d) against central finite differences of the loss along random directions in parameter space, in float32.
 * Smooth activations only: across thousands of ReLU/LeakyReLU units some kink lies inside any finite step, so those
 * are checked against PyTorch instead (test/reference/torch-parity.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { presetConfig, type SegmenterConfig } from '../../../../src/core/nn/networks.js';
import { initParams } from '../../../../src/core/nn/params.js';
import { toOnnxModel } from '../../../../src/core/onnx/index.js';
import { createRng, fillNormal, nextInt } from '../../../../src/core/random/rng.js';
import { buildEvalGraph, buildGradientGraph, type BatchShape } from '../../../../src/core/train/step.js';
import { createSession } from '../../../../src/node/engine/providers.js';
import { tensorFor } from '../../../../src/node/nets/step-runner.js';

const CLASSES = 3;
// Per direction (unit L2 norm in parameter space), the step h is chosen so that the loss moves by about 2e-3, far above
// its float32 rounding (LOSS_NOISE), within [3e-4, 1e-2]: norms over few voxels (the pyramid's coarse levels) curve
// the loss sharply, and central differences at h and h/2 are combined by Richardson extrapolation
// (4 D(h/2) - D(h)) / 3, which cancels the O(h^2) error that curvature would otherwise leave.
const TOL = 1e-2;
const LOSS_NOISE = 1e-6;

async function check(net: SegmenterConfig, shape: BatchShape): Promise<string[]> {
  const gradGraph = buildGradientGraph(net, { kind: 'softmax-ce' }, shape);
  const evalGraph = buildEvalGraph(net, { kind: 'softmax-ce' }, shape);
  const params = initParams(gradGraph.params, createRng(11, 0));
  const rng = createRng(11, 1);
  const [d, h, w] = shape.spatial;
  const image = new Float32Array(shape.batch * net.inChannels * d * h * w);
  fillNormal(rng, image);
  const labels = BigInt64Array.from({ length: shape.batch * d * h * w }, () => BigInt(nextInt(rng, CLASSES)));
  const feeds = (g: typeof gradGraph.graph, p: ReadonlyMap<string, Float32Array>): Record<string, ort.Tensor> => Object.fromEntries([
    ['image', tensorFor(g, 'image', image)], ['labels', tensorFor(g, 'labels', labels)],
    ...[...p].map(([k, v]) => [k, tensorFor(g, k, v)]),
  ]);
  const gs = await createSession(toOnnxModel(gradGraph.graph), { threads: 1 });
  const analytic = await gs.run(feeds(gradGraph.graph, params));
  await gs.release();
  const es = await createSession(toOnnxModel(evalGraph.graph), { threads: 1 });
  const lossAt = async (p: ReadonlyMap<string, Float32Array>): Promise<number> => Number((await es.run(feeds(evalGraph.graph, p))).loss?.data[0]);

  const failures: string[] = [];
  // Two random directions, then the gradient's own direction (the strongest signal: fd = |g|).
  for (let trial = 0; trial < 3; trial++) {
    const dirRng = createRng(100 + trial, 2);
    const direction = new Map(gradGraph.params.map((p) => {
      const v = new Float32Array(params.get(p.name)!.length);
      if (trial < 2) fillNormal(dirRng, v);
      else v.set(analytic[`${p.name}.grad`]?.data as Float32Array);
      return [p.name, v];
    }));
    let norm = 0;
    for (const v of direction.values()) for (const x of v) norm += x * x;
    for (const v of direction.values()) for (let i = 0; i < v.length; i++) v[i] = v[i]! / Math.sqrt(norm);
    let dot = 0;
    for (const p of gradGraph.params) {
      const g = analytic[`${p.name}.grad`]?.data as Float32Array;
      const v = direction.get(p.name)!;
      for (let i = 0; i < v.length; i++) dot += g[i]! * v[i]!;
    }
    const shifted = (step: number): Map<string, Float32Array> =>
      new Map([...params].map(([k, v]) => [k, v.map((x, i) => x + step * direction.get(k)![i]!)]));
    const central = async (step: number): Promise<number> => ((await lossAt(shifted(step))) - (await lossAt(shifted(-step)))) / (2 * step);
    const h = Math.min(1e-2, Math.max(3e-4, 2e-3 / Math.abs(dot)));
    const fd = (4 * (await central(h / 2)) - (await central(h))) / 3;
    const allowed = TOL * Math.abs(dot) + (3 * LOSS_NOISE) / h;
    if (!(Math.abs(fd - dot) <= allowed)) failures.push(`direction ${trial}: finite difference ${fd}, analytic ${dot}, step ${h.toExponential(1)}, |diff| ${Math.abs(fd - dot).toExponential(2)} > ${allowed.toExponential(2)}`);
  }
  await es.release();
  return failures;
}

test('unet tiny (SiLU, GroupNorm, nearest up): gradient matches finite differences', async () => {
  const failures = await check(presetConfig('unet', 'tiny', { outChannels: CLASSES, groups: 2 }), { batch: 1, spatial: [8, 8, 8] });
  assert.deepEqual(failures, []);
});

test('fpn3d tiny (GELU, InstanceNorm, max-pool, linear head): gradient matches finite differences', async () => {
  const failures = await check(presetConfig('fpn3d', 'tiny', { outChannels: CLASSES, activation: 'gelu', norm: 'instance' }), { batch: 2, spatial: [16, 8, 16] });
  assert.deepEqual(failures, []);
});

test('fpn3d tiny (SiLU, GroupNorm) with the non-linear FPN head: gradient matches finite differences', async () => {
  const failures = await check(presetConfig('fpn3d', 'tiny', { outChannels: CLASSES, activation: 'silu', head: 'fpn', headChannels: 8 }), { batch: 1, spatial: [16, 16, 16] });
  assert.deepEqual(failures, []);
});
