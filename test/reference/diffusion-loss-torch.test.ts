// The diffusion step's forward process, FiLM-conditioned denoiser and epsilon MSE (src/core/diffusion/) against the
// same network in PyTorch (scripts/torch/anadiff_torch.py diffusion-loss) on identical weights and inputs: predicted
// epsilon, the loss and every parameter gradient within 1e-4 relative (float32 on both sides).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../../src/core/checkpoint/safetensors.js';
import { diffusionPresetConfig } from '../../src/core/diffusion/network.js';
import { noiseSchedule } from '../../src/core/diffusion/schedule.js';
import { buildDiffusionGradientGraph, diffusionBatch } from '../../src/core/diffusion/train-step.js';
import { initParams } from '../../src/core/nn/params.js';
import { createRng, fillUniform } from '../../src/core/random/rng.js';
import { createGraphSession } from '../../src/node/ort/run-graph.js';
import { asNumbers, f32, maxAbs, python, relativeError, torchMissing, torchScript } from './torch/peer.js';

const TOL = 1e-4;

test('diffusion loss, predicted epsilon and parameter gradients match PyTorch within 1e-4 relative', async (t) => {
  const missing = torchMissing();
  if (missing) return t.skip(missing);
  // SiLU keeps the network smooth; leaky ReLU's kinks are covered by torch-parity.test.ts for the same backbone.
  const cfg = diffusionPresetConfig('tiny', { activation: 'silu' });
  const shape = { batch: 2, spatial: [8, 8, 8] as const };
  const built = buildDiffusionGradientGraph(cfg, shape);
  const weights = initParams(built.params, createRng(21, 0));
  const x0 = new Float32Array(2 * 512);
  fillUniform(createRng(21, 1), x0, -1, 1);
  const batch = diffusionBatch(createRng(21, 2), noiseSchedule(), x0, 2, cfg.timeChannels);
  const session = await createGraphSession(built.graph, { threads: 1 });
  const ours = await session.run(Object.fromEntries([...weights, ...batch.feeds]));
  await session.release();

  const tensors = (m: ReadonlyMap<string, Float32Array>, shapeOf: (name: string) => readonly number[]): Map<string, NamedTensor> =>
    new Map([...m].map(([name, data]) => [name, f32(shapeOf(name), data)]));
  const inputShape = (name: string): readonly number[] => built.graph.inputs.find((i) => i.value.name === name)!.value.shape;
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-diffusion-'));
  try {
    writeFileSync(join(dir, 'weights.safetensors'), encodeSafetensors(tensors(weights, inputShape)));
    writeFileSync(join(dir, 'batch.safetensors'), encodeSafetensors(tensors(batch.feeds, inputShape)));
    const r = spawnSync(python, [torchScript, 'diffusion-loss', '--config', JSON.stringify(cfg), '--weights', join(dir, 'weights.safetensors'),
      '--batch', join(dir, 'batch.safetensors'), '--out', join(dir, 'out.safetensors')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const theirs = new Map(decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'out.safetensors')))).tensors);
    const failures: string[] = [];
    const compare = (name: string, floor = 0): number => {
      const a = ours[name];
      assert.ok(a, `anadiff output ${name}`);
      const err = relativeError(Array.from(a as Float32Array), asNumbers(theirs.get(name), name), floor);
      if (!(err < TOL)) failures.push(`${name}: ${err.toExponential(2)}`);
      return err;
    };
    t.diagnostic(`loss ${Number(ours.loss?.[0]).toFixed(5)}: relative error ${compare('loss').toExponential(2)}; eps ${compare('eps').toExponential(2)}`);
    // Gradients relative to the largest gradient of any parameter: a tensor whose gradient is tiny in exact
    // arithmetic is compared at the scale of the whole gradient, not its own rounding noise.
    const scale = Math.max(...built.params.map((p) => maxAbs(asNumbers(theirs.get(`${p.name}.grad`), p.name))));
    let worst = 0;
    for (const p of built.params) worst = Math.max(worst, compare(`${p.name}.grad`, 1e-2 * scale));
    t.diagnostic(`${built.params.length} parameter gradients: worst relative error ${worst.toExponential(2)}`);
    assert.deepEqual(failures, []);
    const film = asNumbers(theirs.get('backbone.left0.res0.film1.weight.grad'), 'film grad');
    assert.ok(maxAbs(film) > 0, 'FiLM parameters get a gradient');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
