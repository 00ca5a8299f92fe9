// The diffusion denoiser (src/core/diffusion/network.ts, timestep.ts) and FiLM in the FPN3d backbone: the embedding's
// layout, conditioning that reaches the output, and an unconditioned FPN3d that is exactly what it was before FiLM
// existed (graph hash, parameter list and forward output pinned from the commit before this change).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { coordsNet, coordsPresetConfig } from '../../../../src/core/coords/network.js';
import { foldTimestep } from '../../../../src/core/diffusion/fold-film.js';
import { diffusionNet, diffusionPresetConfig } from '../../../../src/core/diffusion/network.js';
import { timestepEmbedding } from '../../../../src/core/diffusion/timestep.js';
import { Graph } from '../../../../src/core/graph/graph.js';
import { fpn3d } from '../../../../src/core/nn/fpn3d.js';
import { countParams, createNetContext, initParams } from '../../../../src/core/nn/params.js';
import { presetConfig, segmenter } from '../../../../src/core/nn/networks.js';
import { createRng, fillUniform } from '../../../../src/core/random/rng.js';
import { runGraph } from '../../../../src/node/ort/run-graph.js';

test('timestep embedding: [sin | cos] at frequencies 10000^(-j / (h - 1)), one row per timestep', () => {
  const e = timestepEmbedding([0, 1, 500], 8);
  assert.equal(e.length, 24);
  assert.deepEqual([...e.subarray(0, 8)], [0, 0, 0, 0, 1, 1, 1, 1], 't = 0: sin 0, cos 1');
  const freqs = [1, 10000 ** (-1 / 3), 10000 ** (-2 / 3), 1e-4];
  freqs.forEach((f, j) => {
    assert.ok(Math.abs(e[8 + j]! - Math.sin(f)) < 1e-7 && Math.abs(e[12 + j]! - Math.cos(f)) < 1e-7, `t = 1, j = ${j}`);
    assert.ok(Math.abs(e[16 + j]! - Math.sin(500 * f)) < 1e-6 && Math.abs(e[20 + j]! - Math.cos(500 * f)) < 1e-6, `t = 500, j = ${j}`);
  });
  assert.throws(() => timestepEmbedding([1], 7), /even integer/);
});

async function forward(head: 'linear' | 'fpn'): Promise<{ hash: string; params: string; count: number; out: Float32Array }> {
  const g = new Graph('t');
  const ctx = createNetContext(g);
  g.output(segmenter(ctx, g.input('image', 'float32', [1, 1, 8, 8, 8], 'data'), presetConfig('fpn3d', 'tiny', { head })), 'logits');
  const feeds: Record<string, Float32Array> = Object.fromEntries(initParams(ctx.params, createRng(0)));
  const image = new Float32Array(512);
  fillUniform(createRng(1), image);
  feeds.image = image;
  const out = (await runGraph(g, feeds, { threads: 1 })).logits as Float32Array;
  return { hash: g.hash(), params: createHash('sha256').update(JSON.stringify(ctx.params)).digest('hex').slice(0, 16), count: ctx.params.length, out };
}

test('an unconditioned FPN3d is unchanged by FiLM support: graph hash, parameter list and forward output as before', async () => {
  // Recorded at 99bc968 (before FiLM existed) with this exact build: tiny preset, image [1, 1, 8, 8, 8], init seed 0.
  const pinned = {
    linear: { hash: 'd1dd0e485287b251', params: '59d7af4f2a554004', count: 100, out0: 1.176863670349121, out100: 1.0524876117706299 },
    fpn: { hash: '75ad850bbf4e9d6f', params: '7ba846829c00ee7f', count: 122, out0: 0.6636720299720764, out100: 0.41948026418685913 },
  } as const;
  for (const head of ['linear', 'fpn'] as const) {
    const now = await forward(head);
    const then = pinned[head];
    assert.equal(now.hash, then.hash, `${head}: graph hash`);
    assert.equal(now.params, then.params, `${head}: parameter names, shapes and inits`);
    assert.equal(now.count, then.count);
    assert.ok(Math.abs(now.out[0]! - then.out0) < 1e-5 && Math.abs(now.out[100]! - then.out100) < 1e-5, `${head}: forward ${now.out[0]}, ${now.out[100]}`);
  }
  const g = new Graph('t');
  g.output(coordsNet(createNetContext(g), g.input('image', 'float32', [1, 1, 8, 8, 8], 'data'), coordsPresetConfig('tiny')), 'c');
  assert.equal(g.hash(), 'a4a13e38ce23ea4c', 'the coordinate network too');
});

test('diffusion net: FiLM after every backbone norm, time MLP, full-resolution epsilon; module-path names', () => {
  const cfg = diffusionPresetConfig('tiny');
  assert.equal(cfg.timeChannels, 16);
  const g = new Graph('t');
  const ctx = createNetContext(g);
  const { eps, pyramid } = diffusionNet(ctx, g.input('xt', 'float32', [2, 1, 8, 8, 8], 'data'), g.input('temb', 'float32', [2, 16], 'data'), cfg);
  assert.deepEqual(eps.shape, [2, 1, 8, 8, 8]);
  assert.deepEqual(pyramid.map((p) => p.shape[1]), [4, 8, 16]);
  const byName = new Map(ctx.params.map((p) => [p.name, p]));
  assert.deepEqual(byName.get('temb.fc1.weight')?.shape, [16, 16]);
  assert.deepEqual(byName.get('temb.fc2.bias')?.shape, [16]);
  assert.deepEqual(byName.get('backbone.left0.res0.film1.weight')?.shape, [8, 16], '2C outputs: scale then shift');
  assert.deepEqual(byName.get('backbone.bottom.res1.film2.bias')?.shape, [32]);
  const norms = ctx.params.filter((p) => p.name.startsWith('backbone.') && /\.norm\d\.weight$/.test(p.name)).length;
  const films = ctx.params.filter((p) => /\.film\d\.weight$/.test(p.name)).length;
  assert.equal(films, norms, 'one FiLM per backbone norm');
  assert.equal(films, 2 * 2 * 5, '2 norms x 2 blocks x 5 stacks (left0, left1, bottom, right1, right0)');
  assert.ok(!ctx.params.some((p) => p.name.startsWith('head.') && p.name.includes('film')), 'the head is not conditioned');
  // Without FiLM and the time MLP, the backbone is the plain FPN3d backbone (same names: a checkpoint feeds probing).
  const plain = createNetContext(new Graph('p'));
  plain.g.scope('backbone', () => fpn3d(plain, plain.g.input('x', 'float32', [1, 1, 8, 8, 8], 'data'), cfg));
  const backbone = ctx.params.filter((p) => p.name.startsWith('backbone.') && !p.name.includes('.film'));
  assert.deepEqual(backbone.map((p) => [p.name, p.shape]), plain.params.map((p) => [p.name, p.shape]));
  assert.ok(countParams(ctx.params) > countParams(plain.params));
});

test('diffusion net: the timestep reaches the output (same x_t, different t, different epsilon)', async () => {
  const cfg = diffusionPresetConfig('tiny');
  const g = new Graph('t');
  const ctx = createNetContext(g);
  g.output(diffusionNet(ctx, g.input('xt', 'float32', [2, 1, 8, 8, 8], 'data'), g.input('temb', 'float32', [2, 16], 'data'), cfg).eps, 'eps');
  const feeds: Record<string, Float32Array> = Object.fromEntries(initParams(ctx.params, createRng(3)));
  const one = new Float32Array(512);
  fillUniform(createRng(4), one, -1, 1);
  feeds.xt = Float32Array.from([...one, ...one]);
  feeds.temb = timestepEmbedding([10, 900], 16);
  const eps = (await runGraph(g, feeds, { threads: 1 })).eps as Float32Array;
  let diff = 0;
  for (let n = 0; n < 512; n++) diff = Math.max(diff, Math.abs(eps[n]! - eps[512 + n]!));
  assert.ok(diff > 1e-3, `max |eps(t = 10) - eps(t = 900)| = ${diff}`);
  feeds.temb = timestepEmbedding([10, 10], 16);
  const same = (await runGraph(g, feeds, { threads: 1 })).eps as Float32Array;
  for (let n = 0; n < 512; n++) assert.ok(Math.abs(same[n]! - same[512 + n]!) < 1e-6, 'same t, same output');
});

test('foldTimestep: the plain FPN3d with folded norms gives the diffusion backbone\'s pyramid at that t', async () => {
  const cfg = diffusionPresetConfig('tiny', { activation: 'silu' });
  const g = new Graph('cond');
  const ctx = createNetContext(g);
  const { pyramid } = diffusionNet(ctx, g.input('xt', 'float32', [1, 1, 8, 8, 8], 'data'), g.input('temb', 'float32', [1, 16], 'data'), cfg);
  pyramid.forEach((p, i) => g.output(p, `level${i}`));
  const params = initParams(ctx.params, createRng(8));
  const image = new Float32Array(512);
  fillUniform(createRng(9), image, -1, 1);
  const plain = new Graph('plain');
  const plainCtx = createNetContext(plain);
  plain.scope('backbone', () => fpn3d(plainCtx, plain.input('xt', 'float32', [1, 1, 8, 8, 8], 'data'), cfg)).forEach((p, i) => plain.output(p, `level${i}`));
  for (const t of [0, 10, 500]) {
    const conditioned = await runGraph(g, { ...Object.fromEntries(params), xt: image, temb: timestepEmbedding([t], 16) }, { threads: 1 });
    const folded = foldTimestep(params, cfg, t);
    assert.deepEqual([...folded.keys()].sort(), plainCtx.params.map((p) => p.name).sort(), 'exactly the plain backbone\'s parameters');
    const out = await runGraph(plain, { ...Object.fromEntries(folded), xt: image }, { threads: 1 });
    for (let i = 0; i < pyramid.length; i++) {
      const a = conditioned[`level${i}`] as Float32Array;
      const b = out[`level${i}`] as Float32Array;
      let err = 0;
      let scale = 0;
      for (let n = 0; n < a.length; n++) {
        err = Math.max(err, Math.abs(a[n]! - b[n]!));
        scale = Math.max(scale, Math.abs(a[n]!));
      }
      assert.ok(err < 1e-5 * Math.max(1, scale), `t = ${t}, level ${i}: max difference ${err} (scale ${scale})`);
    }
  }
});
