// `anadiff pretrain --method guided --guidance aux|cond|both --coords oracle` (issue 11): for every mode the guided loss
// falls below an untrained run's on the same batches (fixed seed); every metrics line of aux and both names its terms
// (eps + weight * coords = loss); a stopped and resumed run repeats the uninterrupted one exactly (aux and cond: cond
// also draws condition dropout; the EMA of the weights included); the exported backbone (the EMA weights, FiLM folded,
// no aux head) feeds
// `train --backbone RUN`; a cond run's export is its network at the null condition (zero coordinate channels);
// `--guidance cond` from the command line; and synthetic cases from `anadiff synth` train with their oracle coordinate
// maps (which the CT listing skips).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pretrainCommand } from '../../../../src/cli/commands/pretrain.js';
import { trainCommand } from '../../../../src/cli/commands/train.js';
import { foldInputRange, foldNullCondition, foldTimestep } from '../../../../src/core/diffusion/fold-film.js';
import { averagedWeights } from '../../../../src/core/optim/ema.js';
import { diffusionNet } from '../../../../src/core/diffusion/network.js';
import { timestepEmbedding } from '../../../../src/core/diffusion/timestep.js';
import { toDiffusionRange } from '../../../../src/core/diffusion/train-step.js';
import { Graph, type Value } from '../../../../src/core/graph/graph.js';
import { fpn3d } from '../../../../src/core/nn/fpn3d.js';
import { createNetContext } from '../../../../src/core/nn/params.js';
import { createRng, fillNormal } from '../../../../src/core/random/rng.js';
import { CONDITION_DROPOUT, hasAuxHead, isConditioned, type GuidanceMode } from '../../../../src/core/diffusion/guided-step.js';
import { oneCycle } from '../../../../src/core/optim/schedules.js';
import { makePhantom } from '../../../../src/core/phantom/index.js';
import type { Mat4 } from '../../../../src/core/volume/mat4.js';
import { loadCheckpoint, loadLatestCheckpoint } from '../../../../src/node/engine/checkpoint-store.js';
import { diffusionNetOf, drawPretrainPatches, EXPORT_TIMESTEP, PRETRAIN_OPTIMIZER, type GuidanceConfig } from '../../../../src/node/train/jobs/pretrain.js';
import { runGraph, type Fetches } from '../../../../src/node/ort/run-graph.js';
import { writeNiftiFile } from '../../../../src/node/nifti/index.js';
import { resolveBackbone } from '../../../../src/node/train/backbone.js';
import { loadPretrainVolume, pretrainRun, PRETRAIN_PHANTOM_SEEDS, type PretrainRunConfig } from '../../../../src/node/train/pretrain-run.js';
import { writeSynthCases } from '../../../../src/node/synth/generate-files.js';

const root = mkdtempSync(join(tmpdir(), 'anadiff-guided-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const STEPS = 30;
const GUIDANCE = {
  aux: { mode: 'aux', weight: 1, coords: 'oracle' },
  cond: { mode: 'cond', conditionDropout: CONDITION_DROPOUT, coords: 'oracle' },
  both: { mode: 'both', weight: 1, conditionDropout: CONDITION_DROPOUT, coords: 'oracle' },
} as const satisfies Record<GuidanceMode, GuidanceConfig>;
const configOf = (lr = 3e-3, guidance: GuidanceConfig = GUIDANCE.aux): PretrainRunConfig => ({
  format: 'anadiff-pretrain-run', version: 1, kind: 'pretrain', name: 'guided',
  job: {
    kind: 'pretrain', method: 'guided', preset: 'tiny', patch: [16, 16, 8], batch: 2, guidance,
    optimizer: PRETRAIN_OPTIMIZER, schedule: oneCycle(lr, STEPS, { pctStart: 0.1 }), ema: 0.999,
  },
  train: PRETRAIN_PHANTOM_SEEDS.map((seed) => ({ id: `phantom-${seed}`, phantom: { seed } })),
  spacingMm: [3, 3, 4], steps: STEPS, checkpointEvery: 10, seed: 0, threads: 1,
});
type Line = { step: number; loss: number; lr?: number; terms?: { eps?: number; coords?: number } };
const metrics = (dir: string): Line[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
/** A checkpoint's EMA weights (what best/ is made from) as plain arrays. */
const emaParams = (dir: string): Map<string, Float32Array> => new Map([...averagedWeights(loadLatestCheckpoint(join(dir, 'checkpoints'))!.tensors)].map(([n, t]) => [n, t.data as Float32Array]));

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
const quiet = async <T>(f: () => Promise<T>): Promise<T> => {
  const { error, log } = console;
  console.error = () => undefined;
  console.log = () => undefined;
  try { return await f(); } finally { console.error = error; console.log = log; }
};
/** The trained run of each mode (the first tests write them; later tests read them). */
const runs = { aux: join(root, 'guided'), cond: join(root, 'guided-cond'), both: join(root, 'guided-both') } as const;

// The per-step loss swings with the t drawn, so the trained run is compared with an untrained one (lr 1e-9) on the
// very same batches (the data stream does not depend on the weights).
for (const guidance of Object.values(GUIDANCE)) {
  const { mode } = guidance;
  test(`guided ${mode}: over ${STEPS} steps the loss falls below an untrained run's on the same batches; best/ holds the plain backbone`, async () => {
    const report = await pretrainRun(configOf(3e-3, guidance), runs[mode]);
    assert.equal(report.status, 'done');
    assert.equal(report.method, 'guided');
    const untrainedDir = join(root, `untrained-${mode}`);
    await pretrainRun(configOf(1e-9, guidance), untrainedDir);
    const trained = metrics(runs[mode]).map((l) => l.loss), untrained = metrics(untrainedDir).map((l) => l.loss);
    const a = mean(trained.slice(-15)), b = mean(untrained.slice(-15));
    console.log(`guided ${mode}: steps 1-10 ${mean(trained.slice(0, 10)).toFixed(4)}; steps ${STEPS - 14}-${STEPS} trained ${a.toFixed(4)}, untrained ${b.toFixed(4)}`);
    assert.ok(a < 0.8 * b, `guided ${mode}: trained ${a}, untrained ${b}`);
    assert.equal(report.backbone, 'best/step-00000030.json');
    const best = loadCheckpoint(join(runs[mode], report.backbone));
    assert.ok([...best.tensors.keys()].every((n) => n.startsWith('backbone.') && !/film|temb/.test(n)), 'backbone.* only, no FiLM');
    assert.deepEqual(best.tensors.get('backbone.stem.weight')?.shape, [4, 1, 3, 3, 3], 'the stem takes the image alone');
    const exported = best.manifest.config as { guidance?: unknown; conditionFoldedAt?: unknown };
    assert.deepEqual(exported.guidance, guidance);
    assert.equal(exported.conditionFoldedAt !== undefined, isConditioned(mode), 'the null condition is recorded where it is folded');
    const raw = loadLatestCheckpoint(join(runs[mode], 'checkpoints'))!.tensors;
    assert.equal([...raw.keys()].some((n) => n.startsWith('aux.')), hasAuxHead(mode), 'the training checkpoint holds the aux head where the mode has one');
    assert.deepEqual(raw.get('backbone.stem.weight')?.shape, [4, isConditioned(mode) ? 4 : 1, 3, 3, 3], 'trained on image + coordinates where conditioned');
    assert.equal((best.manifest.config as { weights?: string }).weights, 'ema');
    assert.ok(raw.has('ema.backbone.stem.weight') && (!hasAuxHead(mode) || raw.has('ema.aux.level0.weight')), 'and the EMA of every weight');
    if (hasAuxHead(mode)) assertTermsSum(metrics(runs[mode]), 1);
  });
}

for (const guidance of [GUIDANCE.aux, GUIDANCE.cond]) {
  const { mode } = guidance;
  test(`guided ${mode}: stopped at step 12 and resumed, it repeats the uninterrupted run exactly`, async () => {
    const split = join(root, `split-${mode}`);
    let seen = 0;
    const first = await pretrainRun(configOf(3e-3, guidance), split, { onProgress: (p) => { seen = p.step; }, shouldStop: () => seen >= 12 });
    assert.equal(first.status, 'stopped');
    assert.equal(first.step, 12);
    assert.equal((await pretrainRun(configOf(3e-3, guidance), split)).status, 'done');
    assert.deepEqual(metrics(split).map((l) => [l.step, l.loss, l.terms, l.lr]), metrics(runs[mode]).map((l) => [l.step, l.loss, l.terms, l.lr]));
    assert.deepEqual(loadLatestCheckpoint(join(split, 'checkpoints'))!.tensors, loadLatestCheckpoint(join(runs[mode], 'checkpoints'))!.tensors, 'every tensor, the EMA included');
    assert.deepEqual(loadCheckpoint(resolveBackbone(split)).tensors, loadCheckpoint(resolveBackbone(runs[mode])).tensors);
  });
}

for (const guidance of [GUIDANCE.aux, GUIDANCE.cond]) {
  const { mode } = guidance;
  const condition = isConditioned(mode) ? ', null condition folded' : '';
  test(`the guided ${mode} backbone feeds train --mode nonlinear --backbone RUN: the EMA weights, FiLM folded${condition}, stem takes [0, 1]`, async () => {
    const dir = join(root, `probe-${mode}`);
    const args = ['--phantom', '--preset', 'tiny', '--spacing', '8x8x10', '--patch', '16x16x8', '--batch', '1', '--lr', '3e-3', '--warmup', '1',
      '--epochs', '1', '--steps-per-epoch', '2', '--checkpoint-every', '1', '--mode', 'nonlinear', '--head', 'fpn', '--backbone', runs[mode], '--run-dir', dir];
    assert.equal(await quiet(() => trainCommand.run(args)), 0);
    const loaded = loadCheckpoint(join(dir, 'checkpoints', 'step-00000001.json')).tensors;
    const net = diffusionNetOf(configOf(3e-3, guidance).job);
    const atT = foldTimestep(emaParams(runs[mode]), net, 0);
    const expected = foldInputRange(isConditioned(mode) ? foldNullCondition(atT, net) : atT);
    for (const name of ['backbone.stem.weight', 'backbone.left0.res0.norm1.weight', 'backbone.right0.res1.norm2.bias']) {
      assert.deepEqual(loaded.get(name)?.data, expected.get(name), `${name}: loaded = folded export`);
    }
    assert.deepEqual(loaded.get('backbone.stem.weight')?.shape, [4, 1, 3, 3, 3]);
    assert.ok(![...loaded.keys()].some((n) => n.startsWith('aux.')), 'no aux head in the segmenter');
  });
}

/** Every pyramid level of a graph's `x` input, as outputs `level0`, `level1`, ... (finest first). */
function outputLevels(g: Graph, pyramid: readonly Value[]): void {
  pyramid.forEach((p, i) => g.output(p, `level${i}`));
}

/** Largest |a - b| over every level, and the largest |a| (the scale the difference is read against). */
function levelDifference(a: Fetches, b: Fetches, levels: number): { diff: number; scale: number } {
  let diff = 0, scale = 0;
  for (let i = 0; i < levels; i++) {
    const x = a[`level${i}`] as Float32Array, y = b[`level${i}`] as Float32Array;
    x.forEach((v, n) => { diff = Math.max(diff, Math.abs(v - y[n]!)); scale = Math.max(scale, Math.abs(v)); });
  }
  return { diff, scale };
}

// The export also folds the input range (exact except on the outermost voxel layer, fold-input.test.ts), whose border
// effect reaches every level of a 16x16x8 patch; so the null condition is checked numerically before that fold, and
// best/ is checked to be exactly that fold of it.
test('guided cond: the exported backbone is the trained network at the null condition (zero coordinate channels) on a clean image', async () => {
  const job = configOf(3e-3, GUIDANCE.cond).job;
  const net = diffusionNetOf(job);
  // The EMA weights, which best/ is made from: the check holds for any weights, and best/ must equal their fold.
  const raw = emaParams(runs.cond);
  const [pi, pj, pk] = job.patch;
  // A clean patch (t = 0, no noise) of the unseen phantom, in the denoiser's [-1, 1].
  const volume = await loadPretrainVolume({ id: 'phantom-2', phantom: { seed: 2 } }, configOf().spacingMm);
  const u = toDiffusionRange(drawPretrainPatches(createRng(7), [volume], job.patch, 1));
  const coords = new Float32Array(3 * u.length);
  fillNormal(createRng(8), coords);

  const trained = new Graph('trained');
  const tctx = createNetContext(trained);
  const inputs = trained.input('x', 'float32', [1, 4, pk, pj, pi], 'data');
  const { pyramid } = diffusionNet(tctx, inputs, trained.input('temb', 'float32', [1, net.timeChannels], 'data'), net);
  outputLevels(trained, pyramid);
  const trainedParams = Object.fromEntries(tctx.params.map((p) => [p.name, raw.get(p.name)!]));
  const temb = timestepEmbedding([EXPORT_TIMESTEP], net.timeChannels);
  const atCondition = async (condition: Float32Array): Promise<Fetches> => runGraph(trained, { ...trainedParams, temb, x: Float32Array.from([...u, ...condition]) }, { threads: 1 });

  const plain = new Graph('plain');
  const pctx = createNetContext(plain);
  outputLevels(plain, plain.scope('backbone', () => fpn3d(pctx, plain.input('x', 'float32', [1, 1, pk, pj, pi], 'data'), net)));
  const atNull = foldNullCondition(foldTimestep(raw, net, EXPORT_TIMESTEP), net);
  const probed = await runGraph(plain, { ...Object.fromEntries(atNull), x: u }, { threads: 1 });

  const nullCondition = levelDifference(await atCondition(new Float32Array(coords.length)), probed, pyramid.length);
  assert.ok(nullCondition.diff < 1e-5 * Math.max(1, nullCondition.scale), `zero coordinates: max difference ${nullCondition.diff} (scale ${nullCondition.scale})`);
  const withCoords = levelDifference(await atCondition(coords), probed, pyramid.length);
  assert.ok(withCoords.diff > 1e-3, `the trained network reads its coordinate channels (max difference ${withCoords.diff}), so the cut is tested`);
  const best = loadCheckpoint(resolveBackbone(runs.cond)).tensors;
  const expected = foldInputRange(atNull);
  assert.deepEqual([...best.keys()].sort(), [...expected.keys()].filter((n) => n.startsWith('backbone.')).sort());
  for (const [name, t] of best) assert.deepEqual(t.data, expected.get(name), `${name}: best/ = the input-range fold of the null-condition backbone`);
});

test('CLI: --guidance cond trains with the coordinates as a condition; config.json records the dropout', async () => {
  const dir = join(root, 'cli-cond');
  const args = ['--method', 'guided', '--guidance', 'cond', '--coords', 'oracle', '--phantom', '--preset', 'tiny', '--patch', '16x16x8',
    '--batch', '1', '--steps', '2', '--checkpoint-every', '1', '--threads', '1', '--run-dir', dir];
  assert.equal(await quiet(() => pretrainCommand.run(args)), 0);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as PretrainRunConfig;
  assert.deepEqual(config.job.guidance, GUIDANCE.cond);
  assert.ok(metrics(dir).every((l) => Number.isFinite(l.loss)));
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
