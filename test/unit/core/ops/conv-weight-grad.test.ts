// The dW lowerings agree with each other on sizes where flatIm2col splits the flat axis into several chunks and
// 'bySize' switches between its two forms (the finite-difference checks in ops-grad use tiny sizes: one chunk).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gradients } from '../../../../src/core/autodiff/index.js';
import { Graph } from '../../../../src/core/graph/index.js';
import type { LoweringChoices } from '../../../../src/core/lowering.js';
import { conv3d, mul, reduceSum } from '../../../../src/core/ops/index.js';
import { randomFeeds } from '../../../../src/node/bench/time-graph.js';
import { runGraph } from '../../../../src/node/ort/run-graph.js';

function dwGraph(size: readonly [number, number, number], ci: number, co: number, pad: number | number[]): Graph {
  const g = new Graph('dw');
  const x = g.input('x', 'float32', [1, ci, ...size], 'data');
  const w = g.param('w', [co, ci, 3, 3, 3]);
  const y = conv3d(x, w, undefined, { pad });
  const r = g.input('r', 'float32', y.shape, 'data');
  const [dw] = gradients(reduceSum(mul(y, r)), [w]);
  g.output(dw!, 'dw');
  return g;
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

const cases: [string, readonly [number, number, number], number, number, number | number[]][] = [
  ['X shifted, several chunks', [24, 20, 28], 8, 12, 1],
  ['dY shifted, several chunks', [26, 24, 22], 16, 8, 1],
  ['asymmetric pads', [20, 18, 16], 8, 8, [1, 0, 1, 0, 1, 0]],
];

for (const [name, size, ci, co, pad] of cases) {
  test(`flatIm2col dW equals splitGemm: ${name}`, async () => {
    const g = dwGraph(size, ci, co, pad);
    const feeds = randomFeeds(g);
    const run = async (lowering: Partial<LoweringChoices>): Promise<Float32Array> => (await runGraph(g, feeds, { lowering, threads: 1 }))['dw'] as Float32Array;
    const reference = await run({ convWeightGradBatch1: 'splitGemm' });
    const flat = await run({ convWeightGradBatch1: 'flatIm2col' });
    assert.ok(maxRelDiff(flat, reference) < 1e-5, `relative difference ${maxRelDiff(flat, reference)}`);
  });
}
