import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gradients } from '../../../../src/core/autodiff/index.js';
import { Graph, GraphError, validateGraph } from '../../../../src/core/graph/index.js';
import { add, conv3d, groupNorm, reduceMean, silu } from '../../../../src/core/ops/index.js';

function block(g: Graph, cin: number, cout: number, x: ReturnType<Graph['input']>): ReturnType<Graph['input']> {
  const w = g.param('weight', [cout, cin, 3, 3, 3]);
  const b = g.param('bias', [cout]);
  const y = conv3d(x, w, b, { pad: 1 });
  return silu(groupNorm(y, g.param('norm.gamma', [cout]), g.param('norm.beta', [cout]), { groups: 2 }));
}

function tinyNet(): { g: Graph; loss: ReturnType<Graph['input']> } {
  const g = new Graph('tiny');
  const x = g.input('image', 'float32', [1, 1, 4, 4, 4], 'data');
  const h = g.scope('down1', () => g.scope('conv1', () => block(g, 1, 4, x)));
  const h2 = g.scope('down1', () => g.scope('conv2', () => block(g, 4, 4, h)));
  const loss = reduceMean(add(h, h2));
  return { g, loss };
}

test('names come from module paths; gradients are <param>.grad', () => {
  const { g, loss } = tinyNet();
  const params = g.inputsByRole('param');
  assert.deepEqual(params.map((p) => p.name), [
    'down1.conv1.weight', 'down1.conv1.bias', 'down1.conv1.norm.gamma', 'down1.conv1.norm.beta',
    'down1.conv2.weight', 'down1.conv2.bias', 'down1.conv2.norm.gamma', 'down1.conv2.norm.beta',
  ]);
  assert.ok(g.nodes.some((n) => n.name === 'down1.conv1.conv' && n.path === 'down1.conv1'));
  const grads = gradients(loss, params);
  assert.deepEqual(grads.map((d) => d.name), params.map((p) => `${p.name}.grad`));
  grads.forEach((d, i) => assert.deepEqual(d.shape, params[i]?.shape));
  for (const d of grads) g.output(d);
  validateGraph(g);
});

test('a shape error names the node and the module path', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [1, 3, 4, 4, 4], 'data');
  assert.throws(
    () => g.scope('enc', () => g.scope('stem', () => conv3d(x, g.param('weight', [8, 2, 3, 3, 3]), undefined, { pad: 1 }))),
    (err: unknown) => err instanceof GraphError && err.node === 'enc.stem.conv' && err.path === 'enc.stem' && /input channels 3/.test(err.message),
  );
});

test('hash is stable across identical builds and changes with structure', () => {
  const a = tinyNet();
  const b = tinyNet();
  assert.equal(a.g.hash(), b.g.hash());
  assert.match(a.g.hash(), /^[0-9a-f]{16}$/);
  const c = tinyNet();
  c.g.scope('extra', () => silu(c.loss));
  assert.notEqual(c.g.hash(), a.g.hash());
});

test('values from another graph and duplicate names are rejected', () => {
  const g1 = new Graph();
  const g2 = new Graph();
  const a = g1.input('a', 'float32', [2], 'data');
  const b = g2.input('b', 'float32', [2], 'data');
  assert.throws(() => add(a, b), GraphError);
  assert.throws(() => g1.input('a', 'float32', [2], 'data'), /already used/);
});

test('roles separate params, data, optimizer state and hyper-parameters', () => {
  const g = new Graph();
  g.input('lr', 'float32', [], 'hyper');
  g.input('adamw.m.w', 'float32', [2], 'state');
  g.param('w', [2]);
  g.input('x', 'float32', [2], 'data');
  assert.deepEqual(['param', 'data', 'state', 'hyper'].map((r) => g.inputsByRole(r as 'param').map((v) => v.name)), [['w'], ['x'], ['adamw.m.w'], ['lr']]);
});
