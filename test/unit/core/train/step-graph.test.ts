import { test } from 'node:test';
import assert from 'node:assert/strict';
import { presetConfig } from '../../../../src/core/nn/networks.js';
import { adamw, sgd, type OptimizerConfig } from '../../../../src/core/optim/optimizer.js';
import { validateGraph } from '../../../../src/core/graph/index.js';
import { createRng } from '../../../../src/core/random/rng.js';
import { buildApplyStep, buildGradStep, buildTrainStep, initialTrainState } from '../../../../src/core/train/step.js';

const net = presetConfig('unet', 'tiny');
const shape = { batch: 1, spatial: [8, 8, 8] as const };

test('train step: every parameter and AdamW moment is carried; names follow the module paths', () => {
  const opt: OptimizerConfig = { rule: adamw(), maxGradNorm: 1 };
  const step = buildTrainStep({ net, loss: { kind: 'softmax-ce' }, optimizer: opt, shape });
  validateGraph(step.graph);
  const inputs = new Set(step.carried.map((c) => c.input));
  for (const p of step.params) {
    assert.ok(inputs.has(p.name) && inputs.has(`adamw.m.${p.name}`) && inputs.has(`adamw.v.${p.name}`), p.name);
  }
  assert.equal(step.carried.length, 3 * step.params.length);
  assert.ok(step.carried.every((c) => c.output === `${c.input}.next`));
  assert.deepEqual([...step.hyper].sort(), ['optim.bias_correction1', 'optim.bias_correction2', 'optim.lr']);
  assert.equal(step.gradNormOutput, 'optim.grad_norm');
  assert.deepEqual(step.data.map((d) => d.name), ['image', 'labels']);
  const state = initialTrainState(step, createRng(1));
  assert.equal(state.size, step.carried.length);
  assert.ok(state.get(`adamw.v.enc0.block1.conv.weight`)!.every((x) => x === 0));
});

test('frozen groups: a frozen backbone is an input but neither differentiated nor updated', () => {
  const fpn = presetConfig('fpn3d', 'tiny');
  const opt: OptimizerConfig = { rule: sgd({ momentum: 0.9 }), groups: [{ prefix: 'backbone.', frozen: true }] };
  const step = buildTrainStep({ net: fpn, loss: { kind: 'softmax-ce' }, optimizer: opt, shape });
  assert.ok(step.trainable.length > 0 && step.trainable.every((n) => n.startsWith('head.')));
  assert.ok(step.carried.every((c) => !c.input.includes('backbone.')));
  assert.ok(step.graph.inputsByRole('param').some((v) => v.name.startsWith('backbone.')));
  assert.ok(!step.graph.values.some((v) => v.name === 'backbone.stem.weight.grad'));
});

test('gradient accumulation graphs: grad step carries accumulators, apply step carries params and state', () => {
  const opt: OptimizerConfig = { rule: adamw() };
  const grad = buildGradStep({ net, loss: { kind: 'softmax-ce' }, optimizer: opt, shape });
  const apply = buildApplyStep({ net, loss: { kind: 'softmax-ce' }, optimizer: opt, shape }, 4);
  validateGraph(grad.graph);
  validateGraph(apply.graph);
  assert.ok(grad.carried.every((c) => c.input.startsWith('accum.')));
  assert.equal(grad.carried.length, grad.params.length);
  assert.equal(apply.carried.length, 3 * apply.params.length);
  assert.ok(apply.graph.inputsByRole('state').some((v) => v.name === 'accum.head.weight'));
});
