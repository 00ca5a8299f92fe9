// foldInputRange: the stem conv folded for [0, 1] inputs gives the trained stem's output on 2x - 1 everywhere the
// 3x3x3 stencil stays inside the patch (the outermost layer differs by the padding, as documented).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foldInputRange } from '../../../../src/core/diffusion/fold-film.js';
import { Graph } from '../../../../src/core/graph/graph.js';
import { conv } from '../../../../src/core/nn/layers.js';
import { createNetContext, initParams } from '../../../../src/core/nn/params.js';
import { createRng, fillUniform } from '../../../../src/core/random/rng.js';
import { runGraph } from '../../../../src/node/ort/run-graph.js';

test('foldInputRange: stem(2W, b - sum W)(x) = stem(W, b)(2x - 1) inside the patch; other parameters untouched', async () => {
  const g = new Graph('stem');
  const ctx = createNetContext(g);
  g.output(g.scope('backbone', () => conv(ctx, 'stem', g.input('x', 'float32', [1, 1, 6, 6, 6], 'data'), 4, { kernel: 3 })), 'y');
  const params = initParams(ctx.params, createRng(3));
  params.set('backbone.left0.block0.conv1.weight', Float32Array.of(1, 2, 3));
  const x = new Float32Array(216);
  fillUniform(createRng(4), x, 0, 1);
  const u = x.map((v) => 2 * v - 1);
  const trained = (await runGraph(g, { ...Object.fromEntries(params), x: u }, { threads: 1 })).y as Float32Array;
  const folded = foldInputRange(params);
  assert.deepEqual(folded.get('backbone.left0.block0.conv1.weight'), Float32Array.of(1, 2, 3));
  assert.notDeepEqual(folded.get('backbone.stem.weight'), params.get('backbone.stem.weight'), 'a copy, changed');
  const probed = (await runGraph(g, { ...Object.fromEntries(folded), x }, { threads: 1 })).y as Float32Array;
  let interior = 0, border = 0;
  for (let c = 0; c < 4; c++) {
    for (let k = 0; k < 6; k++) for (let j = 0; j < 6; j++) for (let i = 0; i < 6; i++) {
      const n = c * 216 + i + 6 * (j + 6 * k);
      const d = Math.abs(trained[n]! - probed[n]!);
      if ([i, j, k].every((a) => a > 0 && a < 5)) interior = Math.max(interior, d);
      else border = Math.max(border, d);
    }
  }
  assert.ok(interior < 1e-5, `interior max difference ${interior}`);
  assert.ok(border > 1e-3, `the border differs (padding), max ${border}`);
});
