import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph } from '../../../../src/core/graph/index.js';
import { conv3d, sub, upsampleConv3d, upsampleNearest2x } from '../../../../src/core/ops/index.js';
import { runGraph } from '../../../../src/node/ort/run-graph.js';
import { rng } from './gradcheck.js';

test('upsampleConv3d equals nearest x2 then conv 3x3x3 pad 1 (odd and even sizes)', async () => {
  const random = rng(7);
  const g = new Graph();
  const x = g.input('x', 'float32', [1, 3, 3, 4, 5], 'data');
  const w = g.param('w', [2, 3, 3, 3, 3]);
  const b = g.param('b', [2]);
  const fast = upsampleConv3d(x, w, b);
  const plain = conv3d(upsampleNearest2x(x), w, b, { pad: 1 });
  assert.deepEqual(fast.shape, plain.shape);
  g.output(sub(fast, plain), 'diff');
  g.output(plain, 'plain');
  const fill = (n: number): Float32Array => Float32Array.from({ length: n }, () => random() * 2 - 1);
  const out = await runGraph(g, { x: fill(180), w: fill(162), b: fill(2) });
  const diff = Math.max(...[...(out.diff ?? [])].map((v) => Math.abs(Number(v))));
  const scale = Math.max(...[...(out.plain ?? [])].map((v) => Math.abs(Number(v))));
  assert.ok(diff <= 1e-5 * scale, `max difference ${diff} (scale ${scale})`);
});
