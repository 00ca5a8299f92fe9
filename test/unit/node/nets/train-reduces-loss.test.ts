/**
 * Training reduces the loss on a small real task: segmenting example_ct_sm (BTCV-13 labels from TotalSegmentator) with
 * the tiny UNet from a fixed seed; the generated phantom stands in when ../shared/data is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { presetConfig } from '../../../../src/core/nn/networks.js';
import { adamw, type OptimizerConfig } from '../../../../src/core/optim/optimizer.js';
import { learningRate } from '../../../../src/core/optim/schedules.js';
import { makePhantom } from '../../../../src/core/phantom/index.js';
import { createRng } from '../../../../src/core/random/rng.js';
import { buildTrainStep, initialTrainState } from '../../../../src/core/train/step.js';
import { readNiftiFile } from '../../../../src/node/nifti/read-file.js';
import { StepRunner } from '../../../../src/node/nets/step-runner.js';

const dataDir = resolve(__dirname, '../../../../../shared/data/totalsegmentator');
// background, liver (BTCV 6), any other organ: liver against other soft tissue is learnable in a few dozen steps
const CLASSES = 3;
const LIVER = 6;
const PATCH = { w: 32, h: 32, d: 16 }; // W = i, H = j, D = k after taking every 2nd voxel in-plane
const STEPS = 50;

interface Volume { dims: readonly [number, number, number]; image: ArrayLike<number>; labels: ArrayLike<number> }

async function loadVolume(): Promise<{ volume: Volume; source: string }> {
  const ct = resolve(dataDir, 'example_ct_sm.nii.gz');
  const seg = resolve(dataDir, 'example_ct_sm_btcv13_from_totalseg.nii.gz');
  if (existsSync(ct) && existsSync(seg)) {
    const [image, labels] = await Promise.all([readNiftiFile(ct), readNiftiFile(seg)]);
    return { volume: { dims: image.dims, image: image.data, labels: labels.data }, source: 'example_ct_sm' };
  }
  const p = makePhantom({ size: 'small', seed: 3 });
  return { volume: { dims: p.image.dims, image: p.image.data, labels: p.labels.data }, source: 'phantom (../shared/data absent)' };
}

/** Mean voxel index of the liver. */
function liverCentre(v: Volume): [number, number, number] {
  const [nx, ny] = v.dims;
  let si = 0, sj = 0, sk = 0, n = 0;
  for (let o = 0; o < v.labels.length; o++) {
    if (Math.round(v.labels[o]!) !== LIVER) continue;
    si += o % nx; sj += Math.floor(o / nx) % ny; sk += Math.floor(o / (nx * ny)); n++;
  }
  if (n === 0) throw new Error('no liver voxels in the label map');
  return [si / n, sj / n, sk / n];
}

/**
 * A patch around the liver, every 2nd voxel in i and j, HU clipped to [-1350, 1000] and scaled to [0, 1] (vox2vec's
 * window); labels 0 background, 1 liver, 2 other organs.
 */
function patch(v: Volume): { image: Float32Array; labels: BigInt64Array } {
  const [nx, ny, nz] = v.dims;
  const [ci, cj, ck] = liverCentre(v);
  const clamp = (x: number, hi: number): number => Math.max(0, Math.min(hi, Math.round(x)));
  const i0 = clamp(ci - PATCH.w, nx - 2 * PATCH.w), j0 = clamp(cj - PATCH.h, ny - 2 * PATCH.h), k0 = clamp(ck - PATCH.d / 2, nz - PATCH.d);
  if (nx < 2 * PATCH.w || ny < 2 * PATCH.h || nz < PATCH.d) throw new Error(`volume ${v.dims.join('x')} is smaller than the patch`);
  const image = new Float32Array(PATCH.w * PATCH.h * PATCH.d);
  const labels = new BigInt64Array(image.length);
  let o = 0;
  for (let k = 0; k < PATCH.d; k++) for (let j = 0; j < PATCH.h; j++) for (let i = 0; i < PATCH.w; i++, o++) {
    const src = i0 + 2 * i + (j0 + 2 * j) * nx + (k0 + k) * nx * ny;
    image[o] = (Math.min(1000, Math.max(-1350, v.image[src]!)) + 1350) / 2350;
    const organ = Math.round(v.labels[src]!);
    labels[o] = organ === 0 ? 0n : organ === LIVER ? 1n : 2n;
  }
  return { image, labels };
}

test('training the tiny UNet on a CT patch reduces the loss (fixed seed)', async (t) => {
  const { volume, source } = await loadVolume();
  if (source.startsWith('phantom')) t.diagnostic(`using the phantom: ../shared/data absent`);
  const { image, labels } = patch(volume);
  const net = presetConfig('unet', 'tiny', { channels: 8, outChannels: CLASSES });
  const optimizer: OptimizerConfig = { rule: adamw({ weightDecay: 1e-4 }), maxGradNorm: 5 };
  const step = buildTrainStep({ net, loss: { kind: 'softmax-ce' }, optimizer, shape: { batch: 1, spatial: [PATCH.d, PATCH.h, PATCH.w] } });
  const runner = await StepRunner.create(step, optimizer, initialTrainState(step, createRng(42, 0)), { threads: 2 });
  const schedule = { kind: 'warmup-cosine', baseLr: 2e-2, warmupSteps: 3, totalSteps: STEPS, minLr: 1e-3 } as const;
  const losses: number[] = [];
  for (let s = 0; s < STEPS; s++) losses.push((await runner.run({ image, labels }, learningRate(schedule, s))).loss);
  await runner.release();
  const first = losses[0]!;
  const last = losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
  t.diagnostic(`curve ${losses.map((l) => l.toFixed(2)).join(" ")}`);
  // The best loss without looking at the image: the entropy of the label frequencies. Beating it clearly means the
  // network learned from intensities and context, not just the class prior.
  const counts = [0, 0, 0];
  for (const l of labels) counts[Number(l)]! += 1;
  const prior = -counts.filter((c) => c > 0).reduce((h, c) => h + (c / labels.length) * Math.log(c / labels.length), 0);
  t.diagnostic(`${source}: loss ${first.toFixed(3)} -> ${last.toFixed(3)} (mean of last 5 of ${STEPS} steps); class-prior entropy ${prior.toFixed(3)}; voxels ${counts.join('/')}`);
  assert.ok(losses.every(Number.isFinite), 'every loss is finite');
  assert.ok(counts.every((c) => c > 0), `patch holds every class: ${counts.join('/')}`);
  assert.ok(last < 0.6 * prior, `loss ${last} should fall well below the class-prior entropy ${prior}`);
  assert.ok(last < 0.4 * first, `loss fell from ${first} to ${last}: expected below 40% of the start`);
});
