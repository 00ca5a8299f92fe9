// Guided diffusion's step (src/core/diffusion/guided-step.ts): the aux head's coordinate loss is the masked MSE it
// claims (recomputed by hand from the head's own output), the total is eps MSE + w * coordinate MSE, the coordinate
// loss reaches the backbone (not only the head), and coordinates are standardised around the body's centre. cond and
// both: the coordinates enter as input channels, a dropped sample (keep 0) sees exactly the null condition, condition
// dropout has its rate and is fixed by the seed, and aux's graph is the one it was before cond existed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffusionPresetConfig } from '../../../../src/core/diffusion/network.js';
import {
  buildGuidedGradientGraph, buildGuidedTrainStep, CONDITION_DROPOUT, COORD_SCALE_MM, drawConditionKeep, GUIDED_INPUTS, standardiseCoords,
} from '../../../../src/core/diffusion/guided-step.js';
import { DIFFUSION_INPUTS } from '../../../../src/core/diffusion/train-step.js';
import { timestepEmbedding } from '../../../../src/core/diffusion/timestep.js';
import { validateGraph } from '../../../../src/core/graph/index.js';
import { initParams } from '../../../../src/core/nn/params.js';
import { adamw } from '../../../../src/core/optim/optimizer.js';
import { createRng, fillNormal, type Rng } from '../../../../src/core/random/rng.js';
import { createGraphSession } from '../../../../src/node/ort/run-graph.js';

const net = diffusionPresetConfig('tiny');
/** The denoiser of cond and both: the image's channel plus the 3 coordinate channels. */
const condNet = diffusionPresetConfig('tiny', { inChannels: 4 });
const S = 8, V = S ** 3, B = 2;
const shape = { batch: B, spatial: [S, S, S] as [number, number, number] };
const optimizer = { rule: adamw({ weightDecay: 1e-6 }), maxGradNorm: 1 };

const normals = (rng: Rng, n: number): Float32Array => { const x = new Float32Array(n); fillNormal(rng, x); return x; };

/** The diffusion inputs of B samples at t = 10 and 400 (x0 in (-1, 1), fresh noise). */
function diffusionFeeds(rng: Rng): Map<string, Float32Array> {
  return new Map([
    [DIFFUSION_INPUTS.x0, normals(rng, B * V).map((v) => Math.tanh(v))],
    [DIFFUSION_INPUTS.noise, normals(rng, B * V)],
    [DIFFUSION_INPUTS.signal, Float32Array.of(0.9, 0.5)],
    [DIFFUSION_INPUTS.noiseScale, Float32Array.of(Math.sqrt(1 - 0.81), Math.sqrt(0.75))],
    [DIFFUSION_INPUTS.temb, timestepEmbedding([10, 400], net.timeChannels)],
  ]);
}

test('guided step: diffusion inputs plus coords and mask; aux.* head trained with the backbone', () => {
  const step = buildGuidedTrainStep({ net, optimizer, shape, guidanceWeight: 1 });
  validateGraph(step.graph);
  assert.deepEqual(step.data.map((d) => [d.name, d.shape]).slice(-2), [[GUIDED_INPUTS.coords, [B, 3, S, S, S]], [GUIDED_INPUTS.mask, [B, 1, S, S, S]]]);
  for (const name of ['aux.level0.weight', 'aux.level2.weight', 'backbone.stem.weight', 'head.out.weight', 'temb.fc1.weight']) assert.ok(step.trainable.includes(name), name);
  assert.throws(() => buildGuidedTrainStep({ net, optimizer: { rule: adamw({}) }, shape, guidanceWeight: -1 }), /guidance weight/);
});

test('the coordinate loss is the masked MSE of the head\'s output, and loss = eps MSE + w * coordinate MSE', async () => {
  const w = 2.5;
  const built = buildGuidedGradientGraph({ net, shape, guidanceWeight: w });
  const rng = createRng(3, 0);
  const feeds = new Map<string, Float32Array>([...initParams(built.params, rng), ...diffusionFeeds(rng)]);
  const coords = normals(rng, B * 3 * V);
  // Body: the first half of sample 0's voxels and a slab of sample 1's; the rest must not count.
  const mask = Float32Array.from({ length: B * V }, (_, n) => (n < V ? (n < V / 2 ? 1 : 0) : (n % S < 3 ? 1 : 0)));
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

test('aux\'s step graph is unchanged by cond and both (hash recorded before they existed)', () => {
  // Recorded at ea72ff3 with this exact build: tiny preset, B = 2, 8^3 patches, AdamW with clipping, w = 1.
  assert.equal(buildGuidedTrainStep({ net, optimizer, shape, guidanceWeight: 1 }).graph.hash(), 'f014009a550651c7');
});

test('cond and both steps: the stem takes image + 3 coordinate channels; keep replaces the mask (cond) or joins it (both)', () => {
  const cond = buildGuidedTrainStep({ net: condNet, optimizer, shape, mode: 'cond' });
  validateGraph(cond.graph);
  assert.deepEqual(cond.data.map((d) => [d.name, d.shape]).slice(-2), [[GUIDED_INPUTS.coords, [B, 3, S, S, S]], [GUIDED_INPUTS.keep, [B, 1, 1, 1, 1]]]);
  assert.deepEqual(cond.params.find((p) => p.name === 'backbone.stem.weight')?.shape, [4, 4, 3, 3, 3]);
  assert.ok(!cond.trainable.some((n) => n.startsWith('aux.')), 'cond has no aux head');
  const both = buildGuidedTrainStep({ net: condNet, optimizer, shape, mode: 'both', guidanceWeight: 1 });
  validateGraph(both.graph);
  assert.deepEqual(both.data.map((d) => d.name).slice(-3), [GUIDED_INPUTS.coords, GUIDED_INPUTS.mask, GUIDED_INPUTS.keep]);
  assert.ok(both.trainable.includes('aux.level0.weight'));
  assert.throws(() => buildGuidedTrainStep({ net, optimizer, shape, mode: 'cond' }), /takes 1 channels .* condition 3/);
  assert.throws(() => buildGuidedTrainStep({ net: condNet, optimizer, shape, guidanceWeight: 1 }), /takes 4 channels .* condition 0/);
  assert.throws(() => buildGuidedTrainStep({ net: condNet, optimizer, shape, mode: 'cond', guidanceWeight: 1 }), /cond has no coordinate loss/);
  assert.throws(() => buildGuidedTrainStep({ net: condNet, optimizer, shape, mode: 'both' }), /guidance weight must be/);
});

test('cond: the coordinates steer epsilon where keep is 1; where keep is 0 the sample sees exactly the null condition', async () => {
  const built = buildGuidedGradientGraph({ net: condNet, shape, mode: 'cond' });
  const rng = createRng(5, 0);
  const feeds = new Map<string, Float32Array>([...initParams(built.params, rng), ...diffusionFeeds(rng)]);
  feeds.set(GUIDED_INPUTS.keep, Float32Array.of(0, 1)); // sample 0 dropped, sample 1 conditioned
  const session = await createGraphSession(built.graph, { threads: 1 });
  try {
    const epsWith = async (coords: Float32Array): Promise<Float32Array> => (await session.run(Object.fromEntries([...feeds, [GUIDED_INPUTS.coords, coords]]))).eps as Float32Array;
    const nulled = await epsWith(new Float32Array(B * 3 * V));
    const given = await epsWith(normals(rng, B * 3 * V));
    assert.deepEqual(given.subarray(0, V), nulled.subarray(0, V), 'dropped: as if the coordinates were zeros');
    const moved = given.subarray(V).reduce((m, v, n) => Math.max(m, Math.abs(v - nulled[V + n]!)), 0);
    assert.ok(moved > 1e-4, `kept: the coordinates change epsilon (max ${moved})`);
  } finally {
    await session.release();
  }
});

test(`condition dropout: rate ${CONDITION_DROPOUT} per sample, the same draws for the same seed`, () => {
  const n = 20000;
  const keep = drawConditionKeep(createRng(11, 0), n, CONDITION_DROPOUT);
  assert.ok(keep.every((k) => k === 0 || k === 1));
  const rate = keep.filter((k) => k === 0).length / n;
  // 3 standard deviations of a binomial rate over 20,000 draws: 0.0064.
  assert.ok(Math.abs(rate - CONDITION_DROPOUT) < 0.0064, `dropped ${rate}`);
  assert.deepEqual(drawConditionKeep(createRng(11, 0), 64, CONDITION_DROPOUT), keep.subarray(0, 64), 'same seed, same samples dropped');
  assert.notDeepEqual(drawConditionKeep(createRng(12, 0), 64, CONDITION_DROPOUT), keep.subarray(0, 64), 'another seed, other samples');
  assert.ok(drawConditionKeep(createRng(1), 100, 0).every((k) => k === 1) && drawConditionKeep(createRng(1), 100, 1).every((k) => k === 0));
  assert.throws(() => drawConditionKeep(createRng(1), 2, 1.5), /condition dropout must be in \[0, 1\]/);
});
