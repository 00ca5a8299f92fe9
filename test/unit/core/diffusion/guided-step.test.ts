// Guided diffusion's step (src/core/diffusion/guided-step.ts): the aux head's coordinate loss is the masked MSE it
// claims (recomputed by hand from the head's own output), the total is eps MSE + w * coordinate MSE, the coordinate
// loss reaches the backbone (not only the head), and coordinates are standardised around the body's centre.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffusionPresetConfig } from '../../../../src/core/diffusion/network.js';
import { buildGuidedGradientGraph, buildGuidedTrainStep, COORD_SCALE_MM, GUIDED_INPUTS, standardiseCoords } from '../../../../src/core/diffusion/guided-step.js';
import { DIFFUSION_INPUTS } from '../../../../src/core/diffusion/train-step.js';
import { timestepEmbedding } from '../../../../src/core/diffusion/timestep.js';
import { validateGraph } from '../../../../src/core/graph/index.js';
import { initParams } from '../../../../src/core/nn/params.js';
import { adamw } from '../../../../src/core/optim/optimizer.js';
import { createRng, fillNormal } from '../../../../src/core/random/rng.js';
import { createGraphSession } from '../../../../src/node/ort/run-graph.js';

const net = diffusionPresetConfig('tiny');
const S = 8, V = S ** 3, B = 2;
const shape = { batch: B, spatial: [S, S, S] as [number, number, number] };

test('guided step: diffusion inputs plus coords and mask; aux.* head trained with the backbone', () => {
  const step = buildGuidedTrainStep({ net, optimizer: { rule: adamw({ weightDecay: 1e-6 }), maxGradNorm: 1 }, shape, guidanceWeight: 1 });
  validateGraph(step.graph);
  assert.deepEqual(step.data.map((d) => [d.name, d.shape]).slice(-2), [[GUIDED_INPUTS.coords, [B, 3, S, S, S]], [GUIDED_INPUTS.mask, [B, 1, S, S, S]]]);
  for (const name of ['aux.level0.weight', 'aux.level2.weight', 'backbone.stem.weight', 'head.out.weight', 'temb.fc1.weight']) assert.ok(step.trainable.includes(name), name);
  assert.throws(() => buildGuidedTrainStep({ net, optimizer: { rule: adamw({}) }, shape, guidanceWeight: -1 }), /guidance weight/);
});

test('the coordinate loss is the masked MSE of the head\'s output, and loss = eps MSE + w * coordinate MSE', async () => {
  const w = 2.5;
  const built = buildGuidedGradientGraph({ net, shape, guidanceWeight: w });
  const rng = createRng(3, 0);
  const feeds = new Map<string, Float32Array>(initParams(built.params, rng));
  const fill = (n: number): Float32Array => { const x = new Float32Array(n); fillNormal(rng, x); return x; };
  const coords = fill(B * 3 * V);
  // Body: the first half of sample 0's voxels and a slab of sample 1's; the rest must not count.
  const mask = Float32Array.from({ length: B * V }, (_, n) => (n < V ? (n < V / 2 ? 1 : 0) : (n % S < 3 ? 1 : 0)));
  feeds.set(DIFFUSION_INPUTS.x0, fill(B * V).map((v) => Math.tanh(v)));
  feeds.set(DIFFUSION_INPUTS.noise, fill(B * V));
  feeds.set(DIFFUSION_INPUTS.signal, Float32Array.of(0.9, 0.5));
  feeds.set(DIFFUSION_INPUTS.noiseScale, Float32Array.of(Math.sqrt(1 - 0.81), Math.sqrt(0.75)));
  feeds.set(DIFFUSION_INPUTS.temb, timestepEmbedding([10, 400], net.timeChannels));
  feeds.set(GUIDED_INPUTS.coords, coords);
  feeds.set(GUIDED_INPUTS.mask, mask);
  const session = await createGraphSession(built.graph, { threads: 1 });
  try {
    const out = await session.run(Object.fromEntries(feeds));
    const pred = out.coords_pred as Float32Array;
    assert.equal(pred.length, B * 3 * V);
    let sum = 0, count = 0;
    for (let b = 0; b < B; b++) for (let c = 0; c < 3; c++) for (let v = 0; v < V; v++) {
      if (!mask[b * V + v]) continue;
      const n = (b * 3 + c) * V + v;
      sum += (pred[n]! - coords[n]!) ** 2;
      count++;
    }
    const byHand = sum / count;
    const coordLoss = Number(out.coord_loss![0]), epsLoss = Number(out.eps_loss![0]), loss = Number(out.loss![0]);
    assert.ok(Math.abs(coordLoss - byHand) < 1e-5 * Math.max(1, byHand), `coord_loss ${coordLoss} vs by hand ${byHand}`);
    assert.ok(Math.abs(loss - (epsLoss + w * coordLoss)) < 1e-5 * loss, `loss ${loss} vs ${epsLoss} + ${w} * ${coordLoss}`);
    // Unmasked voxels do not count: a wrong target there changes nothing.
    const off = Float32Array.from(coords);
    for (let v = V / 2; v < V; v++) off[v] = 1e3;
    const again = await session.run(Object.fromEntries([...feeds, [GUIDED_INPUTS.coords, off]]));
    assert.equal(Number(again.coord_loss![0]), coordLoss);
    // The coordinate loss reaches the backbone: with w = 0 the stem's gradient differs.
    const plain = buildGuidedGradientGraph({ net, shape, guidanceWeight: 0 });
    const s0 = await createGraphSession(plain.graph, { threads: 1 });
    try {
      const g0 = (await s0.run(Object.fromEntries(feeds)))['backbone.stem.weight.grad'] as Float32Array;
      const g1 = out['backbone.stem.weight.grad'] as Float32Array;
      assert.ok(g0 && g1 && g0.some((v, n) => Math.abs(v - g1[n]!) > 1e-6 * (1 + Math.abs(v))), 'stem gradient depends on w');
    } finally {
      await s0.release();
    }
  } finally {
    await session.release();
  }
});

test('standardiseCoords: minus the body\'s mean per axis, over COORD_SCALE_MM; all voxels with no body', () => {
  const body = Uint8Array.of(1, 1, 0, 0);
  const mm = Float32Array.of(10, 30, 500, -500, 0, 0, 0, 0, 100, 300, 7, 7);
  const s = standardiseCoords(Float32Array.from(mm), body);
  assert.deepEqual([...s.subarray(0, 4)].map((v) => +v.toFixed(4)), [-10, 10, 480, -520].map((v) => v / COORD_SCALE_MM));
  assert.deepEqual([...s.subarray(8)].map((v) => +v.toFixed(4)), [-100, 100, -193, -193].map((v) => v / COORD_SCALE_MM));
  const all = standardiseCoords(Float32Array.from(mm), new Uint8Array(4));
  assert.ok(Math.abs(all[0]! - (10 - 10) / COORD_SCALE_MM) < 1e-6);
});
