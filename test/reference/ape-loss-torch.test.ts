// APE's coordinate loss (src/core/coords/ape-loss.ts) against the same loss in PyTorch (torch.cdist, float64) on
// identical inputs: the loss, its two terms and the gradients for both views' embeddings within 1e-4 relative, with
// APE-sized sampling (up to 1024 body slots, some empty) and a realistic embedding scale.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../../src/core/checkpoint/safetensors.js';
import { apeLoss } from '../../src/core/coords/ape-loss.js';
import { gradients } from '../../src/core/autodiff/index.js';
import { Graph } from '../../src/core/graph/index.js';
import { createGraphSession } from '../../src/node/ort/run-graph.js';
import { asNumbers, f32, i64, python, relativeError, torchMissing, torchScript } from './torch/peer.js';
import { rng } from '../unit/core/ops/gradcheck.js';

test('APE loss and embedding gradients match PyTorch within 1e-4 relative', async (t) => {
  const missing = torchMissing();
  if (missing) return t.skip(missing);
  const random = rng(7);
  const [c, n1, n2, k1, k2, s] = [3, 4096, 3000, 1100, 1000, 700];
  const uniform = (n: number, lo: number, hi: number): Float32Array => Float32Array.from({ length: n }, () => lo + (hi - lo) * random());
  const ints = (n: number, max: number): BigInt64Array => BigInt64Array.from({ length: n }, () => BigInt(Math.floor(random() * max)));
  const slots = (n: number, filled: number): Float32Array => Float32Array.from({ length: n }, (_, i) => (i < filled ? 1 : 0));
  const batch = new Map<string, NamedTensor>([
    ['emb1', f32([c, n1], uniform(c * n1, -3, 3))], ['emb2', f32([c, n2], uniform(c * n2, -3, 3))],
    ['idx1', i64([k1], ints(k1, n1))], ['idx2', i64([k2], ints(k2, n2))],
    ['pos1', f32([k1, 3], uniform(k1 * 3, -2, 2))], ['pos2', f32([k2, 3], uniform(k2 * 3, -2, 2))],
    ['w1', f32([k1], slots(k1, 1000))], ['w2', f32([k2], slots(k2, 950))], ['shared', f32([s], slots(s, 650))],
  ]);

  const g = new Graph('ape-loss');
  const v = Object.fromEntries([...batch].map(([name, x]) => [name, g.input(name, x.dtype === 'I64' ? 'int64' : 'float32', x.shape, name.startsWith('emb') ? 'param' : 'data')]));
  const loss = apeLoss({ emb1: v.emb1!, emb2: v.emb2!, idx1: v.idx1!, idx2: v.idx2!, pos1: v.pos1!, pos2: v.pos2!, w1: v.w1!, w2: v.w2!, shared: v.shared! });
  const [d1, d2] = gradients(loss.total, [v.emb1!, v.emb2!]);
  g.output(loss.total, 'total');
  g.output(loss.pdist, 'pdist');
  g.output(loss.consistency, 'consistency');
  g.output(d1!, 'emb1.grad');
  g.output(d2!, 'emb2.grad');
  const session = await createGraphSession(g, { threads: 1 });
  const ours = await session.run(Object.fromEntries([...batch].map(([name, x]) => [name, x.data])) as Record<string, Float32Array>);
  await session.release();

  const dir = mkdtempSync(join(tmpdir(), 'anadiff-ape-'));
  try {
    writeFileSync(join(dir, 'batch.safetensors'), encodeSafetensors(batch));
    const r = spawnSync(python, [torchScript, 'ape-loss', '--batch', join(dir, 'batch.safetensors'), '--out', join(dir, 'out.safetensors')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const theirs = new Map(decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'out.safetensors')))).tensors);
    for (const name of ['total', 'pdist', 'consistency', 'emb1.grad', 'emb2.grad']) {
      const a = ours[name];
      assert.ok(a, `anadiff output ${name}`);
      const err = relativeError(Array.from(a as Float32Array), asNumbers(theirs.get(name), name));
      t.diagnostic(`${name}: relative error ${err.toExponential(2)}`);
      assert.ok(err < 1e-4, `${name}: relative error ${err} >= 1e-4`);
    }
    assert.ok(Number(ours.pdist?.[0]) > 0.1 && Number(ours.consistency?.[0]) > 0.1, 'both terms are exercised');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
