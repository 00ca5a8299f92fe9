import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../../../../src/core/graph/graph.js';
import { countParams, createNetContext, initParams } from '../../../../src/core/nn/params.js';
import { fpn3d } from '../../../../src/core/nn/fpn3d.js';
import { NetConfigError } from '../../../../src/core/nn/layers.js';
import { presetConfig, segmenter, type SegmenterConfig } from '../../../../src/core/nn/networks.js';
import { createRng } from '../../../../src/core/random/rng.js';
import { buildTrainStep, TrainSpecError } from '../../../../src/core/train/step.js';
import { adamw } from '../../../../src/core/optim/optimizer.js';

function build(cfg: SegmenterConfig, spatial: readonly number[]) {
  const g = new Graph('t');
  const ctx = createNetContext(g);
  const logits = segmenter(ctx, g.input('image', 'float32', [1, cfg.inChannels, ...spatial], 'data'), cfg);
  return { g, ctx, logits };
}

test('unet: logits shape, module-path parameter names, identical across builds', () => {
  const cfg = presetConfig('unet', 'tiny', { outChannels: 5 });
  const a = build(cfg, [8, 12, 16]);
  const b = build(cfg, [8, 12, 16]);
  assert.deepEqual(a.logits.shape, [1, 5, 8, 12, 16]);
  const names = a.ctx.params.map((p) => p.name);
  assert.deepEqual(names, b.ctx.params.map((p) => p.name));
  for (const n of ['enc0.block1.conv.weight', 'enc0.block2.norm.bias', 'down1.conv.weight', 'enc2.block2.conv.bias', 'up1.conv.weight', 'dec0.block1.conv.weight', 'head.weight']) {
    assert.ok(names.includes(n), `missing ${n}`);
  }
  assert.equal(new Set(names).size, names.length, 'parameter names are unique');
  // dec1 sees the upsampled bottom (2c) concatenated with enc1 (2c)
  assert.deepEqual(a.ctx.params.find((p) => p.name === 'dec1.block1.conv.weight')?.shape, [8, 16, 3, 3, 3]);
});

test('fpn3d: pyramid shapes and channels; the paper preset has the 47.6M-parameter backbone of method.md', () => {
  const g = new Graph('t');
  const ctx = createNetContext(g);
  const cfg = presetConfig('fpn3d', 'tiny');
  const pyramid = fpn3d(ctx, g.input('image', 'float32', [1, 1, 16, 8, 8], 'data'), cfg);
  assert.deepEqual(pyramid.map((p) => p.shape), [[1, 4, 16, 8, 8], [1, 8, 8, 4, 4], [1, 16, 4, 2, 2]]);

  const paper = presetConfig('fpn3d', 'paper');
  const big = build(paper, [32, 32, 32]);
  const backbone = countParams(big.ctx.params.filter((p) => p.name.startsWith('backbone.')));
  assert.ok(backbone > 47.0e6 && backbone < 48.2e6, `paper backbone has ${backbone} parameters`);
  assert.ok(big.ctx.params.some((p) => p.name === 'backbone.right4.res1.conv2.weight'));
  assert.ok(big.ctx.params.some((p) => p.name === 'head.level5.weight'));
});

test('initParams: deterministic per seed, PyTorch bounds, norms start at 1 and 0', () => {
  const { ctx } = build(presetConfig('unet', 'tiny'), [8, 8, 8]);
  const a = initParams(ctx.params, createRng(3));
  const b = initParams(ctx.params, createRng(3));
  const c = initParams(ctx.params, createRng(4));
  assert.deepEqual(a.get('enc1.block1.conv.weight'), b.get('enc1.block1.conv.weight'));
  assert.notDeepEqual(a.get('enc1.block1.conv.weight'), c.get('enc1.block1.conv.weight'));
  const w = a.get('enc1.block1.conv.weight')!; // fan_in = 8 * 27
  const bound = 1 / Math.sqrt(8 * 27);
  assert.ok(w.every((x) => Math.abs(x) <= bound) && w.some((x) => Math.abs(x) > bound / 2));
  assert.ok(a.get('enc1.block1.norm.weight')!.every((x) => x === 1));
  assert.ok(a.get('enc1.block1.norm.bias')!.every((x) => x === 0));
});

test('bad configs and shapes fail with typed errors that say what', () => {
  assert.throws(() => presetConfig('unet', 'tiny', { channels: 0 }), NetConfigError);
  const net = presetConfig('fpn3d', 'tiny');
  assert.throws(
    () => buildTrainStep({ net, loss: { kind: 'softmax-ce' }, optimizer: { rule: adamw() }, shape: { batch: 1, spatial: [8, 8, 6] } }),
    (e: unknown) => e instanceof TrainSpecError && /multiples of 4/.test(e.message),
  );
});
