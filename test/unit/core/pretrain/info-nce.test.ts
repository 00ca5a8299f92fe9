// vox2vec's masked InfoNCE (src/core/pretrain/info-nce.ts) on values small enough to reason about: the loss equals a
// direct float64 evaluation of its formula, empty slots change nothing, and aligned views score far lower than
// shuffled ones. Its gradient is checked in test/unit/core/ops/ops-grad.test.ts, its values against PyTorch in
// test/reference/info-nce-torch.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph } from '../../../../src/core/graph/graph.js';
import { infoNce } from '../../../../src/core/pretrain/info-nce.js';
import { createRng, fillNormal } from '../../../../src/core/random/rng.js';
import { runGraph } from '../../../../src/node/ort/run-graph.js';

function normalised(k: number, d: number, seed: number): Float32Array {
  const z = new Float32Array(k * d);
  fillNormal(createRng(seed), z);
  for (let i = 0; i < k; i++) {
    const row = z.subarray(i * d, (i + 1) * d);
    const n = Math.hypot(...row);
    for (let j = 0; j < d; j++) row[j] = row[j]! / n;
  }
  return z;
}

async function loss(z1: Float32Array, z2: Float32Array, w: Float32Array, d: number): Promise<number> {
  const k = w.length;
  const g = new Graph('nce');
  const v = (name: string, shape: number[]) => g.input(name, 'float32', shape, 'data');
  g.output(infoNce({ z1: v('z1', [k, d]), z2: v('z2', [k, d]), weights: v('w', [k]) }), 'loss');
  return Number((await runGraph(g, { z1, z2, w }, { threads: 1 })).loss![0]);
}

/** The formula in float64, over valid slots only. */
function direct(z1: Float32Array, z2: Float32Array, valid: number[], d: number, tau = 0.1): number {
  const dot = (a: Float32Array, i: number, b: Float32Array, j: number): number => {
    let s = 0;
    for (let c = 0; c < d; c++) s += a[i * d + c]! * b[j * d + c]!;
    return s / tau;
  };
  const term = (a: Float32Array, b: Float32Array, i: number): number => {
    const logits = [...valid.filter((j) => j !== i).map((j) => dot(a, i, a, j)), ...valid.map((j) => dot(a, i, b, j))];
    const m = Math.max(...logits);
    return -(dot(a, i, b, i) - (m + Math.log(logits.reduce((s, l) => s + Math.exp(l - m), 0))));
  };
  return valid.reduce((s, i) => s + (term(z1, z2, i) + term(z2, z1, i)) / 2, 0) / valid.length;
}

test('infoNce equals its formula evaluated directly, and empty slots are neither anchors nor negatives', async () => {
  const [k, d] = [6, 4];
  const z1 = normalised(k, d, 1);
  const z2 = normalised(k, d, 2);
  const all = await loss(z1, z2, new Float32Array(k).fill(1), d);
  assert.ok(Math.abs(all - direct(z1, z2, [0, 1, 2, 3, 4, 5], d)) < 1e-4, `all slots: ${all}`);
  const w = Float32Array.from([1, 0, 1, 1, 0, 1]);
  const masked = await loss(z1, z2, w, d);
  assert.ok(Math.abs(masked - direct(z1, z2, [0, 2, 3, 5], d)) < 1e-4, `masked: ${masked}`);
  // Garbage in the empty slots changes nothing.
  const z1b = Float32Array.from(z1);
  z1b.fill(0.5, 1 * d, 2 * d);
  assert.ok(Math.abs((await loss(z1b, z2, w, d)) - masked) < 1e-6);
});

test('infoNce: aligned views score far below mismatched ones (the loss learns correspondence)', async () => {
  const [k, d] = [16, 8];
  const z = normalised(k, d, 3);
  const w = new Float32Array(k).fill(1);
  const aligned = await loss(z, z, w, d);
  const other = await loss(z, normalised(k, d, 4), w, d);
  assert.ok(aligned < 0.5 * other, `aligned ${aligned}, unrelated ${other}`);
});
