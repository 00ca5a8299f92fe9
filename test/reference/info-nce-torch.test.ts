// vox2vec's masked InfoNCE (src/core/pretrain/info-nce.ts, through l2Normalize) against the same loss written the way
// vox2vec writes it in PyTorch (fill_diagonal_(-inf), torch.logsumexp over [same view, other view], float64), on
// vox2vec-sized inputs (128-dimensional projections, some empty slots): the loss and both inputs' gradients within
// 1e-4 relative.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gradients } from '../../src/core/autodiff/index.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/core/checkpoint/safetensors.js';
import { Graph } from '../../src/core/graph/index.js';
import { infoNce, l2Normalize } from '../../src/core/pretrain/info-nce.js';
import { createRng, fillNormal } from '../../src/core/random/rng.js';
import { createGraphSession } from '../../src/node/ort/run-graph.js';
import { asNumbers, f32, python, relativeError, torchMissing, torchScript } from './torch/peer.js';

test('InfoNCE with masked slots and its gradients match PyTorch within 1e-4 relative', async (t) => {
  const missing = torchMissing();
  if (missing) return t.skip(missing);
  const [k, d] = [300, 128];
  const a = new Float32Array(k * d);
  const b = new Float32Array(k * d);
  fillNormal(createRng(8, 0), a);
  fillNormal(createRng(8, 1), b);
  for (let n = 0; n < a.length; n++) b[n] = a[n]! + 0.8 * b[n]!; // correlated views: a loss well below chance
  const w = Float32Array.from({ length: k }, (_, i) => (i % 13 === 5 ? 0 : 1));

  const g = new Graph('info-nce');
  const va = g.input('a', 'float32', [k, d], 'param');
  const vb = g.input('b', 'float32', [k, d], 'param');
  const vw = g.input('w', 'float32', [k], 'data');
  const loss = g.output(infoNce({ z1: l2Normalize(va, 1), z2: l2Normalize(vb, 1), weights: vw }), 'loss');
  gradients(loss, [va, vb]).forEach((gr) => g.output(gr));
  const session = await createGraphSession(g, { threads: 1 });
  const ours = await session.run({ a, b, w });
  await session.release();

  const dir = mkdtempSync(join(tmpdir(), 'anadiff-nce-'));
  try {
    writeFileSync(join(dir, 'batch.safetensors'), encodeSafetensors(new Map([['a', f32([k, d], a)], ['b', f32([k, d], b)], ['w', f32([k], w)]])));
    const r = spawnSync(python, [torchScript, 'info-nce', '--batch', join(dir, 'batch.safetensors'), '--out', join(dir, 'out.safetensors')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const theirs = new Map(decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'out.safetensors')))).tensors);
    for (const name of ['loss', 'a.grad', 'b.grad']) {
      const err = relativeError(Array.from(ours[name] as Float32Array), asNumbers(theirs.get(name), name));
      t.diagnostic(`${name}: relative error ${err.toExponential(2)}${name === 'loss' ? ` (loss ${Number(ours.loss![0]).toFixed(4)})` : ''}`);
      assert.ok(err < 1e-4, `${name}: relative error ${err}`);
    }
    assert.ok(Number(ours.loss![0]) < Math.log(2 * k - 1), 'correlated views score below chance');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
