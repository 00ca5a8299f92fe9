// `anadiff pretrain --method guided --guidance aux --coords oracle` (issue 11): the guided loss falls below an untrained
// run's on the same batches (fixed seed), every metrics line names its terms (eps + weight * coords = loss), a stopped
// and resumed run repeats the uninterrupted one exactly (its EMA of the weights included), the exported backbone (the
// EMA weights, FiLM folded, no aux head) feeds `train --backbone RUN`, and synthetic cases from `anadiff synth` train
// with their oracle coordinate maps (which the CT listing skips).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pretrainCommand } from '../../../../src/cli/commands/pretrain.js';
import { trainCommand } from '../../../../src/cli/commands/train.js';
import { foldInputRange, foldTimestep } from '../../../../src/core/diffusion/fold-film.js';
import { averagedWeights } from '../../../../src/core/optim/ema.js';
import { oneCycle } from '../../../../src/core/optim/schedules.js';
import { makePhantom } from '../../../../src/core/phantom/index.js';
import type { Mat4 } from '../../../../src/core/volume/mat4.js';
import { loadCheckpoint, loadLatestCheckpoint } from '../../../../src/node/engine/checkpoint-store.js';
import { diffusionNetOf, PRETRAIN_OPTIMIZER } from '../../../../src/node/engine/jobs/pretrain.js';
import { writeNiftiFile } from '../../../../src/node/nifti/index.js';
import { resolveBackbone } from '../../../../src/node/runs/backbone.js';
import { pretrainRun, PRETRAIN_PHANTOM_SEEDS, type PretrainRunConfig } from '../../../../src/node/runs/pretrain-run.js';
import { writeSynthCases } from '../../../../src/node/synth/generate-files.js';

const root = mkdtempSync(join(tmpdir(), 'anadiff-guided-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const STEPS = 30;
const configOf = (lr = 3e-3): PretrainRunConfig => ({
  format: 'anadiff-pretrain-run', version: 1, kind: 'pretrain', name: 'guided',
  job: {
    kind: 'pretrain', method: 'guided', preset: 'tiny', patch: [16, 16, 8], batch: 2, guidance: { mode: 'aux', weight: 1, coords: 'oracle' },
    optimizer: PRETRAIN_OPTIMIZER, schedule: oneCycle(lr, STEPS, { pctStart: 0.1 }), ema: 0.999,
  },
  train: PRETRAIN_PHANTOM_SEEDS.map((seed) => ({ id: `phantom-${seed}`, phantom: { seed } })),
  spacingMm: [3, 3, 4], steps: STEPS, checkpointEvery: 10, seed: 0, threads: 1,
});
type Line = { step: number; loss: number; lr?: number; terms?: { eps?: number; coords?: number } };
const metrics = (dir: string): Line[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const quiet = async <T>(f: () => Promise<T>): Promise<T> => {
  const { error, log } = console;
  console.error = () => undefined;
  console.log = () => undefined;
  try { return await f(); } finally { console.error = error; console.log = log; }
};
const run = join(root, 'guided');

/**
 * Every line names both terms, and they add up to its loss with the guidance weight `w` (float32 sums). A patch with
 * no body voxel has a coordinate MSE of 0, so only some lines need one above 0 (those test the weight).
 */
function assertTermsSum(lines: readonly Line[], w: number): void {
  assert.ok(lines.some((l) => (l.terms?.coords ?? 0) > 0), 'some step sees body voxels');
  for (const { step, loss, terms } of lines) {
    const { eps, coords } = terms ?? {};
    assert.ok(eps !== undefined && coords !== undefined && eps > 0 && coords >= 0, `step ${step}: terms ${JSON.stringify(terms)}`);
    assert.ok(Math.abs(eps + w * coords - loss) <= 1e-6 * loss, `step ${step}: ${eps} + ${w} * ${coords} != ${loss}`);
  }
}

// The per-step loss swings with the t drawn, so the trained run is compared with an untrained one (lr 1e-9) on the
// very same batches (the data stream does not depend on the weights).
test(`guided: over ${STEPS} steps the loss falls below an untrained run's on the same batches; best/ holds the plain backbone`, async () => {
  const report = await pretrainRun(configOf(), run);
  assert.equal(report.status, 'done');
  assert.equal(report.method, 'guided');
  const untrainedDir = join(root, 'untrained');
  await pretrainRun(configOf(1e-9), untrainedDir);
  const trained = metrics(run).map((l) => l.loss), untrained = metrics(untrainedDir).map((l) => l.loss);
  const a = mean(trained.slice(-15)), b = mean(untrained.slice(-15));
  console.log(`guided: steps 1-10 ${mean(trained.slice(0, 10)).toFixed(4)}; steps ${STEPS - 14}-${STEPS} trained ${a.toFixed(4)}, untrained ${b.toFixed(4)}`);
  assert.ok(a < 0.8 * b, `guided: trained ${a}, untrained ${b}`);
  assert.equal(report.backbone, 'best/step-00000030.json');
  const best = loadCheckpoint(join(run, report.backbone));
  assert.ok([...best.tensors.keys()].every((n) => n.startsWith('backbone.') && !/film|temb/.test(n)), 'backbone.* only, no FiLM');
  assert.deepEqual((best.manifest.config as { guidance?: unknown }).guidance, { mode: 'aux', weight: 1, coords: 'oracle' });
  assert.equal((best.manifest.config as { weights?: string }).weights, 'ema');
  const raw = loadLatestCheckpoint(join(run, 'checkpoints'))!.tensors;
  assert.ok([...raw.keys()].some((n) => n.startsWith('aux.')), 'the training checkpoint holds the aux head');
  assert.ok(raw.has('ema.aux.level0.weight') && raw.has('ema.backbone.stem.weight'), 'and the EMA of every weight');
  assertTermsSum(metrics(run), 1);
});

test('guided: stopped at step 12 and resumed, it repeats the uninterrupted run exactly', async () => {
  const split = join(root, 'split');
  let seen = 0;
  const first = await pretrainRun(configOf(), split, { onProgress: (p) => { seen = p.step; }, shouldStop: () => seen >= 12 });
  assert.equal(first.status, 'stopped');
  assert.equal(first.step, 12);
  assert.equal((await pretrainRun(configOf(), split)).status, 'done');
  assert.deepEqual(metrics(split).map((l) => [l.step, l.loss, l.terms, l.lr]), metrics(run).map((l) => [l.step, l.loss, l.terms, l.lr]));
  assert.deepEqual(loadLatestCheckpoint(join(split, 'checkpoints'))!.tensors, loadLatestCheckpoint(join(run, 'checkpoints'))!.tensors, 'every tensor, the EMA included');
  assert.deepEqual(loadCheckpoint(resolveBackbone(split)).tensors, loadCheckpoint(resolveBackbone(run)).tensors);
});

test('the guided backbone feeds train --mode nonlinear --backbone RUN: the EMA weights, FiLM folded, stem takes [0, 1]', async () => {
  const dir = join(root, 'probe');
  const args = ['--phantom', '--preset', 'tiny', '--spacing', '8x8x10', '--patch', '16x16x8', '--batch', '1', '--lr', '3e-3', '--warmup', '1',
    '--epochs', '1', '--steps-per-epoch', '2', '--checkpoint-every', '1', '--mode', 'nonlinear', '--head', 'fpn', '--backbone', run, '--run-dir', dir];
  assert.equal(await quiet(() => trainCommand.run(args)), 0);
  const loaded = loadCheckpoint(join(dir, 'checkpoints', 'step-00000001.json')).tensors;
  const raw = loadLatestCheckpoint(join(run, 'checkpoints'))!.tensors;
  const averaged = new Map([...averagedWeights(raw)].map(([n, t]) => [n, t.data as Float32Array]));
  const expected = foldInputRange(foldTimestep(averaged, diffusionNetOf(configOf().job), 0));
  for (const name of ['backbone.stem.weight', 'backbone.left0.res0.norm1.weight', 'backbone.right0.res1.norm2.bias']) {
    assert.deepEqual(loaded.get(name)?.data, expected.get(name), `${name}: loaded = folded export`);
  }
  assert.ok(![...loaded.keys()].some((n) => n.startsWith('aux.')), 'no aux head in the segmenter');
});

test('synth cases train with their oracle coordinate maps (--data DIR --coords oracle); the listing skips the maps', async () => {
  // A small label map: the phantom's labels at every second voxel in-plane.
  const full = makePhantom({ size: 'small', seed: 1 }).labels;
  const [fi, fj, fk] = full.dims;
  const dims = [Math.floor(fi / 2), Math.floor(fj / 2), fk] as [number, number, number];
  const data = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0, n = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++, n++) data[n] = full.data[2 * i + fi * (2 * j + fj * k)]!;
  const a = full.ijkToRas;
  const ijkToRas = [2 * a[0]!, 2 * a[1]!, a[2]!, a[3]!, 2 * a[4]!, 2 * a[5]!, a[6]!, a[7]!, 2 * a[8]!, 2 * a[9]!, a[10]!, a[11]!, 0, 0, 0, 1] as Mat4;
  const labelsPath = join(root, 'labels.nii.gz');
  await writeNiftiFile(labelsPath, { dims, ijkToRas, data });
  const synth = join(root, 'synth');
  const reports = await writeSynthCases({ labelsPath, outDir: synth, count: 2, seed: 1 });
  assert.ok(reports.every((r) => r.coordsPath.endsWith('_coords.nii.gz')));
  const dir = join(root, 'guided-synth');
  const args = ['--method', 'guided', '--coords', 'oracle', '--guidance-weight', '0.5', '--data', synth, '--preset', 'tiny', '--patch', '16x16x8',
    '--spacing', '6x6x8', '--batch', '1', '--steps', '2', '--checkpoint-every', '1', '--threads', '1', '--run-dir', dir];
  assert.equal(await quiet(() => pretrainCommand.run(args)), 0);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as PretrainRunConfig;
  assert.deepEqual(config.train.map((s) => s.id), ['synth_0000_ct.nii.gz', 'synth_0001_ct.nii.gz']);
  assert.deepEqual(config.job.guidance, { mode: 'aux', weight: 0.5, coords: 'oracle' });
  assert.equal(config.job.ema, 0.999, 'guided keeps an EMA by default');
  assert.ok(metrics(dir).every((l) => Number.isFinite(l.loss)));
  assertTermsSum(metrics(dir), 0.5);
});
