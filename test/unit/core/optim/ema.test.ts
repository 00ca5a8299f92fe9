// The EMA of the weights (src/core/optim/ema.ts): the decay's warm-up by hand, the update in the step graph against a
// float32 hand computation over three SGD steps, the EMA starting as the initial weights, and the export's swap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildDiffusionTrainStep } from '../../../../src/core/diffusion/train-step.js';
import { diffusionPresetConfig } from '../../../../src/core/diffusion/network.js';
import { Graph } from '../../../../src/core/graph/graph.js';
import { validateGraph } from '../../../../src/core/graph/index.js';
import { averagedWeights, emaDecayAt, emaName } from '../../../../src/core/optim/ema.js';
import { adamw, appendOptimizer, HYPER, optimizerHyper, sgd, type OptimizerConfig } from '../../../../src/core/optim/optimizer.js';
import { createRng } from '../../../../src/core/random/rng.js';
import { initialTrainState } from '../../../../src/core/train/step.js';
import { createGraphSession } from '../../../../src/node/ort/run-graph.js';

test('emaDecayAt: min(decay, (1 + step) / (10 + step)); decays outside (0, 1) and steps below 1 are refused', () => {
  assert.equal(emaDecayAt(0.999, 1), 2 / 11);
  assert.equal(emaDecayAt(0.999, 30), 31 / 40);
  assert.equal(emaDecayAt(0.9, 80), 0.9, '81/90 = 0.9: the cap is reached');
  assert.equal(emaDecayAt(0.9, 1000), 0.9);
  for (const decay of [0, 1, -0.5, Number.NaN]) assert.throws(() => emaDecayAt(decay, 1), /EMA decay must be in \(0, 1\)/);
  assert.throws(() => emaDecayAt(0.9, 0), /integer >= 1/);
});

test('the EMA in the step graph: ema = d * ema + (1 - d) * w after each SGD update, from w0, by hand in float32', async () => {
  const cfg: OptimizerConfig = { rule: sgd({ momentum: 0 }), ema: 0.95 };
  const g = new Graph('ema_check');
  const w = g.input('w', 'float32', [4], 'param');
  const grad = g.input('grad', 'float32', [4], 'data');
  const opt = appendOptimizer(g, [w], [grad], cfg);
  validateGraph(g);
  assert.deepEqual(opt.carried.map((c) => [c.input.name, c.output.name, c.role, c.initFrom]), [
    ['w', 'w.next', 'param', undefined], [emaName('w'), 'ema.w.next', 'state', 'w'],
  ]);
  assert.deepEqual(opt.hyper.map((v) => v.name), [HYPER.lr, HYPER.emaDecay]);

  const f = Math.fround;
  const lr = 0.5;
  let weights: Float32Array = Float32Array.of(1, -2, 0.25, 3);
  let ema: Float32Array = Float32Array.from(weights);
  const grads = [Float32Array.of(1, 2, 3, 4), Float32Array.of(-1, 0.5, 8, 0), Float32Array.of(0.1, 0.2, -0.3, 7)];
  const session = await createGraphSession(g, { threads: 1 });
  try {
    for (const [n, gr] of grads.entries()) {
      const hyper = optimizerHyper(cfg, n + 1, lr);
      const d = f(hyper[HYPER.emaDecay]!);
      assert.equal(d, f(emaDecayAt(0.95, n + 1)));
      const out = await session.run({
        w: weights, [emaName('w')]: ema, grad: gr, [HYPER.lr]: Float32Array.of(lr), [HYPER.emaDecay]: Float32Array.of(d),
      });
      const byHandW = weights.map((x, i) => f(x - f(gr[i]! * lr)));
      const byHandEma = ema.map((e, i) => f(f(e * d) + f(byHandW[i]! * f(1 - d))));
      assert.deepEqual(out['w.next'], byHandW, `step ${n + 1}: weights`);
      assert.deepEqual(out['ema.w.next'], byHandEma, `step ${n + 1}: EMA`);
      weights = out['w.next'] as Float32Array;
      ema = out['ema.w.next'] as Float32Array;
    }
    assert.notDeepEqual(ema, weights, 'the EMA lags the weights');
  } finally {
    await session.release();
  }
});

test('a step with EMA carries ema.<p> for every trainable weight, starting as its initial value; without, nothing changes', () => {
  const net = diffusionPresetConfig('tiny');
  const shape = { batch: 1, spatial: [8, 8, 8] as [number, number, number] };
  const withEma = buildDiffusionTrainStep({ net, optimizer: { rule: adamw(), ema: 0.999 }, shape });
  const without = buildDiffusionTrainStep({ net, optimizer: { rule: adamw() }, shape });
  const emaInputs = withEma.carried.filter((c) => c.input.startsWith('ema.'));
  assert.deepEqual(emaInputs.map((c) => c.initFrom), withEma.trainable);
  assert.ok(withEma.hyper.includes(HYPER.emaDecay));
  assert.ok(!without.carried.some((c) => c.input.startsWith('ema.')) && !without.hyper.includes(HYPER.emaDecay));
  const state = initialTrainState(withEma, createRng(0, 0));
  for (const name of withEma.trainable) assert.deepEqual(state.get(emaName(name)), state.get(name), name);
  assert.ok(state.get('adamw.m.backbone.stem.weight')!.every((v) => v === 0), 'optimizer state still starts at zero');
});

test('averagedWeights: ema.<p> stands in for <p>, other tensors kept; a checkpoint with no EMA is refused', () => {
  const tensors = new Map([['w', 'raw w'], ['b', 'raw b'], ['adamw.m.w', 'moment'], ['ema.w', 'avg w'], ['ema.b', 'avg b']]);
  assert.deepEqual(averagedWeights(tensors), new Map([['w', 'avg w'], ['b', 'avg b'], ['adamw.m.w', 'moment']]));
  assert.throws(() => averagedWeights(new Map([['w', 'raw w']])), /no EMA weights/);
});
