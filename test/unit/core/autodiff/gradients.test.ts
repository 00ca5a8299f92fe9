import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gradients } from '../../../../src/core/autodiff/index.js';
import { Graph, GraphError } from '../../../../src/core/graph/index.js';
import { add, mul, reduceMean, reduceSum, reduceMax } from '../../../../src/core/ops/index.js';
import { runGraph } from '../../../../src/node/ort/run-graph.js';

test('unused parameter gets zeros; shared pass-through gradients get separate names', async () => {
  const g = new Graph();
  const a = g.param('a', [3]);
  const b = g.param('b', [3]);
  const unused = g.param('unused', [2]);
  const loss = reduceSum(add(a, b));
  const [da, db, du] = gradients(loss, [a, b, unused]);
  assert.deepEqual([da?.name, db?.name, du?.name], ['a.grad', 'b.grad', 'unused.grad']);
  for (const d of [da, db, du]) if (d) g.output(d);
  const out = await runGraph(g, { a: new Float32Array(3), b: new Float32Array(3), unused: new Float32Array(2) });
  assert.deepEqual([...(out['a.grad'] ?? [])], [1, 1, 1]);
  assert.deepEqual([...(out['b.grad'] ?? [])], [1, 1, 1]);
  assert.deepEqual([...(out['unused.grad'] ?? [])], [0, 0]);
});

test('frozen parameters are simply left out of wrt; their backward is not built', () => {
  const g = new Graph();
  const frozen = g.param('backbone.w', [4]);
  const head = g.param('head.w', [4]);
  const loss = reduceMean(mul(mul(frozen, frozen), head));
  const before = g.nodes.length;
  const [dh] = gradients(loss, [head]);
  assert.equal(dh?.name, 'head.w.grad');
  // dHead = dy * (frozen*frozen): no node differentiates frozen*frozen
  assert.ok(g.nodes.slice(before).every((n) => !n.inputs.some((v) => v.name === 'backbone.w')));
});

test('an op without a gradient rule is named in the error', () => {
  const g = new Graph();
  const a = g.param('a', [3]);
  const loss = g.scope('head', () => reduceMax(a));
  assert.throws(() => gradients(loss, [a]), (e: unknown) => e instanceof GraphError && /head\.reduceMax/.test(e.message));
});
