// `anadiff pretrain`: diffusion's, Genesis' and the contrastive losses fall on the phantom from a fixed seed, a stopped
// and resumed run repeats the uninterrupted one exactly (diffusion with its EMA of the weights, contrastive), the
// exported backbone (best/) is what `train --backbone RUN` loads (diffusion: the EMA weights, FiLM folded at t = 0 and
// the input range folded into the stem), a run without EMA (as every run before --ema) resumes as it was made and
// cannot switch one on midway, and bad command lines exit 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import type { NamedTensor } from '../../../../src/core/checkpoint/safetensors.js';
import { pretrainCommand } from '../../../../src/cli/commands/pretrain.js';
import { trainCommand } from '../../../../src/cli/commands/train.js';
import { EXIT } from '../../../../src/cli/command.js';
import { foldInputRange, foldTimestep } from '../../../../src/core/diffusion/fold-film.js';
import { averagedWeights } from '../../../../src/core/optim/ema.js';
import { oneCycle } from '../../../../src/core/optim/schedules.js';
import { loadCheckpoint, loadLatestCheckpoint } from '../../../../src/node/engine/checkpoint-store.js';
import { diffusionNetOf, PRETRAIN_OPTIMIZER, type PretrainJob } from '../../../../src/node/train/jobs/pretrain.js';
import { resolveBackbone } from '../../../../src/node/train/backbone.js';
import { pretrainRun, PRETRAIN_PHANTOM_SEEDS, type PretrainRunConfig } from '../../../../src/node/train/pretrain-run.js';

const REPO_ROOT = resolve(__dirname, '../../../..');
const root = mkdtempSync(join(tmpdir(), 'anadiff-pretrain-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const STEPS = 30;
/** Diffusion keeps the CLI's default EMA (0.999), genesis and contrastive none, as the CLI's defaults; 0 = none. */
const DIFFUSION_EMA = 0.999;
const configOf = (method: PretrainJob['method'], lr = 3e-3, ema = method === 'diffusion' ? DIFFUSION_EMA : 0): PretrainRunConfig => ({
  format: 'anadiff-pretrain-run', version: 1, kind: 'pretrain', name: method,
  job: {
    kind: 'pretrain', method, preset: 'tiny', patch: [16, 16, 8], batch: 2, optimizer: PRETRAIN_OPTIMIZER, schedule: oneCycle(lr, STEPS, { pctStart: 0.1 }),
    ...(method === 'contrastive' ? { positives: 64 } : {}), ...(ema > 0 ? { ema } : {}),
  },
  train: PRETRAIN_PHANTOM_SEEDS.map((seed) => ({ id: `phantom-${seed}`, phantom: { seed } })),
  spacingMm: [3, 3, 4], steps: STEPS, checkpointEvery: 10, seed: 0, threads: 1,
});
type Line = { step: number; loss: number; lr?: number };
type BackboneMeta = { weights?: string; emaDecay?: number };
const metrics = (dir: string): Line[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const quiet = async <T>(f: () => Promise<T>): Promise<T> => {
  const { error } = console;
  console.error = () => undefined;
  try { return await f(); } finally { console.error = error; }
};
const runs = { diffusion: join(root, 'diffusion'), genesis: join(root, 'genesis'), contrastive: join(root, 'contrastive') };

const bestOnly = (dir: string, step: string): void => {
  const best = loadCheckpoint(join(dir, step));
  assert.ok([...best.tensors.keys()].every((n) => n.startsWith('backbone.') && !/film|temb/.test(n)), 'backbone.* only, no FiLM');
  assert.equal(existsSync(join(dir, 'run.lock')), false);
};

test(`diffusion: the loss falls on the phantom over ${STEPS} steps (fixed seed); best/ holds the plain backbone`, async () => {
  const report = await pretrainRun(configOf('diffusion'), runs.diffusion);
  assert.equal(report.status, 'done');
  assert.deepEqual(metrics(runs.diffusion).map((l) => l.step), Array.from({ length: STEPS }, (_, n) => n + 1));
  const losses = metrics(runs.diffusion).map((l) => l.loss);
  const first = mean(losses.slice(0, 10)), last = mean(losses.slice(-10));
  console.log(`diffusion: mean loss of steps 1-10 ${first.toFixed(4)}, steps ${STEPS - 9}-${STEPS} ${last.toFixed(4)}`);
  assert.ok(last < 0.7 * first, `diffusion: ${first} -> ${last}`);
  assert.equal(report.backbone, 'best/step-00000030.json');
  bestOnly(runs.diffusion, report.backbone);
  const meta = loadCheckpoint(join(runs.diffusion, report.backbone)).manifest.config as BackboneMeta;
  assert.deepEqual([meta.weights, meta.emaDecay], ['ema', DIFFUSION_EMA]);
  const raw = loadLatestCheckpoint(join(runs.diffusion, 'checkpoints'))!.tensors;
  const params = [...raw.keys()].filter((n) => /^(backbone|temb|head)\./.test(n));
  assert.ok(params.length > 10 && params.every((n) => raw.has(`ema.${n}`)), 'the checkpoint keeps the EMA of every weight');
  assert.notDeepEqual(raw.get('ema.backbone.stem.weight')?.data, raw.get('backbone.stem.weight')?.data, 'the EMA lags the weights');
});

// Genesis' per-step loss swings with the corruption drawn (none, in- or out-painting), so the trained run is compared
// with an untrained one (lr 1e-9) on the very same batches: the data stream does not depend on the weights.
test(`genesis: over ${STEPS} steps the loss falls below an untrained run's on the same batches; best/ holds the backbone`, async () => {
  const report = await pretrainRun(configOf('genesis'), runs.genesis);
  const frozenDir = join(root, 'genesis-untrained');
  await pretrainRun(configOf('genesis', 1e-9), frozenDir);
  const trained = metrics(runs.genesis).map((l) => l.loss), untrained = metrics(frozenDir).map((l) => l.loss);
  const a = mean(trained.slice(-15)), b = mean(untrained.slice(-15));
  console.log(`genesis: steps 1-10 ${mean(trained.slice(0, 10)).toFixed(4)}; steps ${STEPS - 14}-${STEPS} trained ${a.toFixed(4)}, untrained ${b.toFixed(4)}`);
  assert.ok(a < 0.9 * b, `genesis: trained ${a}, untrained ${b}`);
  assert.equal(report.backbone, 'best/step-00000030.json');
  bestOnly(runs.genesis, report.backbone);
});

// The contrastive loss also depends on which voxels are drawn (how many positives a pair shares, how alike the
// negatives are), so it is compared with an untrained run on the same batches too.
test(`contrastive: over ${STEPS} steps the loss falls below an untrained run's on the same batches; best/ holds the backbone`, async () => {
  const report = await pretrainRun(configOf('contrastive'), runs.contrastive);
  assert.equal(report.status, 'done');
  const frozenDir = join(root, 'contrastive-untrained');
  await pretrainRun(configOf('contrastive', 1e-9), frozenDir);
  const trained = metrics(runs.contrastive).map((l) => l.loss), untrained = metrics(frozenDir).map((l) => l.loss);
  assert.equal(trained[0], untrained[0], 'same start, same first batch');
  const a = mean(trained.slice(-15)), b = mean(untrained.slice(-15));
  console.log(`contrastive: steps 1-10 ${mean(trained.slice(0, 10)).toFixed(4)}; steps ${STEPS - 14}-${STEPS} trained ${a.toFixed(4)}, untrained ${b.toFixed(4)}`);
  assert.ok(a < 0.9 * b, `contrastive: trained ${a}, untrained ${b}`);
  assert.equal(report.backbone, 'best/step-00000030.json');
  bestOnly(runs.contrastive, report.backbone);
  const raw = loadLatestCheckpoint(join(runs.contrastive, 'checkpoints'))!.tensors;
  assert.ok([...raw.keys()].some((n) => n.startsWith('proj.')), 'the training checkpoint holds the projection head');
});

test('contrastive: stopped at step 12 and resumed, it repeats the uninterrupted run exactly', async () => {
  const split = join(root, 'contrastive-split');
  let seen = 0;
  const first = await pretrainRun(configOf('contrastive'), split, { onProgress: (p) => { seen = p.step; }, shouldStop: () => seen >= 12 });
  assert.equal(first.status, 'stopped');
  assert.equal(first.step, 12);
  const second = await pretrainRun(configOf('contrastive'), split);
  assert.equal(second.status, 'done');
  assert.deepEqual(metrics(split).map((l) => [l.step, l.loss, l.lr]), metrics(runs.contrastive).map((l) => [l.step, l.loss, l.lr]));
  assert.deepEqual(loadCheckpoint(resolveBackbone(split)).tensors, loadCheckpoint(resolveBackbone(runs.contrastive)).tensors);
});

test('diffusion: stopped at step 12 and resumed, it repeats the uninterrupted run exactly', async () => {
  const split = join(root, 'split');
  let seen = 0;
  const first = await pretrainRun(configOf('diffusion'), split, { onProgress: (p) => { seen = p.step; }, shouldStop: () => seen >= 12 });
  assert.equal(first.status, 'stopped');
  assert.equal(first.step, 12);
  assert.equal(loadCheckpoint(resolveBackbone(split)).manifest.step, 12, 'a stopped run exports its backbone too');
  const second = await pretrainRun(configOf('diffusion'), split);
  assert.equal(second.status, 'done');
  assert.deepEqual(metrics(split).map((l) => [l.step, l.loss, l.lr]), metrics(runs.diffusion).map((l) => [l.step, l.loss, l.lr]));
  // Every tensor of the last checkpoint, the EMA included, and the backbone exported from it.
  assert.deepEqual(loadLatestCheckpoint(join(split, 'checkpoints'))!.tensors, loadLatestCheckpoint(join(runs.diffusion, 'checkpoints'))!.tensors);
  assert.deepEqual(loadCheckpoint(resolveBackbone(split)).tensors, loadCheckpoint(resolveBackbone(runs.diffusion)).tensors);
});

test('a diffusion run without EMA (as every run begun before --ema) resumes as it was made; switching EMA on midway is refused', async () => {
  const dir = join(root, 'no-ema');
  const plain = { ...configOf('diffusion', 3e-3, 0), steps: 6, checkpointEvery: 3 };
  let seen = 0;
  assert.equal((await pretrainRun(plain, dir, { onProgress: (p) => { seen = p.step; }, shouldStop: () => seen >= 3 })).status, 'stopped');
  assert.match(readFileSync(join(dir, 'train.log'), 'utf8'), /no EMA of the weights/);
  await assert.rejects(pretrainRun({ ...plain, job: { ...plain.job, ema: DIFFUSION_EMA } }, dir), /tensor ema\.\S+ is missing .*keeps no EMA of the weights/);
  const report = await pretrainRun(plain, dir);
  assert.deepEqual([report.status, report.step], ['done', 6]);
  const best = loadCheckpoint(resolveBackbone(dir));
  assert.equal((best.manifest.config as BackboneMeta).weights, 'raw');
  const raw = loadLatestCheckpoint(join(dir, 'checkpoints'))!.tensors;
  assert.ok(![...raw.keys()].some((n) => n.startsWith('ema.')));
  const folded = foldInputRange(foldTimestep(new Map([...raw].map(([n, t]) => [n, t.data as Float32Array])), diffusionNetOf(plain.job), 0));
  assert.deepEqual(best.tensors.get('backbone.stem.weight')?.data, folded.get('backbone.stem.weight'));
});

/** A frozen-backbone probe of `backbone` for 2 steps; returns its step-1 checkpoint tensors. */
async function probe(backbone: string, dir: string): Promise<ReadonlyMap<string, NamedTensor>> {
  const args = ['--phantom', '--preset', 'tiny', '--spacing', '8x8x10', '--patch', '16x16x8', '--batch', '1', '--lr', '3e-3', '--warmup', '1',
    '--epochs', '1', '--steps-per-epoch', '2', '--checkpoint-every', '1', '--mode', 'nonlinear', '--head', 'fpn', '--backbone', backbone, '--run-dir', dir];
  assert.equal(await quiet(() => trainCommand.run(args)), 0);
  const lines = metrics(dir).filter((l) => typeof l.loss === 'number');
  assert.ok(lines.length === 2 && lines.every((l) => Number.isFinite(l.loss)));
  return loadCheckpoint(join(dir, 'checkpoints', 'step-00000001.json')).tensors;
}

test('the diffusion backbone feeds train --mode nonlinear --backbone RUN: the EMA weights, folded FiLM and stem, loaded as exported', async () => {
  const loaded = await probe(runs.diffusion, join(root, 'probe-diffusion'));
  const exported = loadCheckpoint(resolveBackbone(runs.diffusion)).tensors;
  // The fold recomputed from the training checkpoint's EMA weights: what best/ must hold (not the raw weights' fold).
  const raw = loadLatestCheckpoint(join(runs.diffusion, 'checkpoints'))!.tensors;
  const rawParams = new Map([...averagedWeights(raw)].map(([n, t]) => [n, t.data as Float32Array]));
  const expected = foldInputRange(foldTimestep(rawParams, diffusionNetOf(configOf('diffusion').job), 0));
  const unaveraged = foldInputRange(foldTimestep(new Map([...raw].map(([n, t]) => [n, t.data as Float32Array])), diffusionNetOf(configOf('diffusion').job), 0));
  assert.notDeepEqual(exported.get('backbone.left0.res0.conv1.weight')?.data, unaveraged.get('backbone.left0.res0.conv1.weight'), 'not the raw weights');
  for (const name of ['backbone.stem.weight', 'backbone.left0.res0.norm1.weight', 'backbone.right0.res1.norm2.bias', 'backbone.left0.res0.conv1.weight']) {
    assert.ok(expected.has(name), name);
    assert.deepEqual(loaded.get(name)?.data, expected.get(name), `${name}: loaded = folded export`);
    assert.deepEqual(exported.get(name)?.data, expected.get(name), name);
  }
  assert.notDeepEqual(loaded.get('backbone.left0.res0.norm1.weight')?.data, rawParams.get('backbone.left0.res0.norm1.weight'), 'FiLM folded into the norm');
  assert.deepEqual(loaded.get('backbone.stem.weight')?.data, rawParams.get('backbone.stem.weight')!.map((w) => 2 * w), 'stem takes [0, 1]');
  assert.ok((loaded.get('backbone.left0.res0.conv1.weight')!.data as Float32Array).some((v) => v !== 0));
  // The raw training checkpoint is refused rather than loaded without its FiLM.
  const rawManifest = join(runs.diffusion, 'checkpoints', 'step-00000030.json');
  await assert.rejects(quiet(() => trainCommand.run(['--phantom', '--preset', 'tiny', '--mode', 'nonlinear', '--backbone', rawManifest, '--run-dir', join(root, 'refused')])), /FiLM not folded/);
});

test('the Genesis backbone feeds train --mode nonlinear --backbone RUN as trained', async () => {
  const loaded = await probe(runs.genesis, join(root, 'probe-genesis'));
  const raw = loadLatestCheckpoint(join(runs.genesis, 'checkpoints'))!.tensors;
  const names = [...raw.keys()].filter((n) => n.startsWith('backbone.'));
  assert.ok(names.length > 10);
  for (const name of names) assert.deepEqual(loaded.get(name)?.data, raw.get(name)?.data, name);
});

test('the contrastive backbone feeds train --mode nonlinear --backbone RUN as trained (no projection head)', async () => {
  const loaded = await probe(runs.contrastive, join(root, 'probe-contrastive'));
  const raw = loadLatestCheckpoint(join(runs.contrastive, 'checkpoints'))!.tensors;
  const names = [...raw.keys()].filter((n) => n.startsWith('backbone.'));
  assert.ok(names.length > 10);
  for (const name of names) assert.deepEqual(loaded.get(name)?.data, raw.get(name)?.data, name);
  assert.ok(![...loaded.keys()].some((n) => n.startsWith('proj.')));
});

test('pretrain CLI: bad command lines exit 2 with the reason, before anything is read or written', async () => {
  const usage = async (args: string[], message: RegExp): Promise<void> => {
    await assert.rejects(pretrainCommand.run(args), (e: Error & { exitCode?: number }) => e.exitCode === EXIT.usage && message.test(e.message));
  };
  await usage(['--phantom'], /--method is required/);
  await usage(['--method', 'guided', '--phantom'], /needs --coords oracle/);
  await usage(['--method', 'genesis', '--phantom', '--positives', '64'], /--positives is for --method contrastive, not genesis/);
  await usage(['--method', 'contrastive', '--phantom', '--positives', '0'], /--positives must be a positive integer/);
  await usage(['--resume', runs.genesis, '--positives', '8'], /drop --positives/);
  await usage(['--method', 'vae', '--phantom'], /--method must be diffusion, guided, genesis or contrastive, got vae/);
  await usage(['--method', 'guided', '--phantom', '--coords', 'oracle', '--guidance', 'cond', '--guidance-weight', '2'], /--guidance-weight .* aux or both, not cond/);
  await usage(['--method', 'guided', '--phantom', '--coords', 'oracle', '--guidance', 'film'], /--guidance must be aux, cond or both, got film/);
  await usage(['--method', 'diffusion', '--phantom', '--guidance', 'cond'], /--guidance only apply to --method guided/);
  await usage(['--resume', runs.genesis, '--guidance', 'cond'], /drop --guidance/);
  await usage(['--method', 'guided', '--phantom', '--coords', 'oracle', '--guidance-weight=-1'], /--guidance-weight must be a number >= 0/);
  // --coords names a coordinate model: a folder without one is a missing file (exit 1), still before any CT is read
  await assert.rejects(pretrainCommand.run(['--method', 'guided', '--phantom', '--coords', root]), (e: Error & { exitCode?: number }) => e.exitCode === EXIT.failed && /^--coords .*model\.onnx does not exist/.test(e.message));
  await usage(['--method', 'diffusion', '--phantom', '--coords', 'oracle'], /--coords only apply to --method guided/);
  await usage(['--method', 'diffusion'], /exactly one of --phantom, --data/);
  await usage(['--method', 'genesis', '--phantom', '--preset', 'huge'], /--preset must be tiny, small or paper, got huge/);
  await usage(['--method', 'genesis', '--phantom', '--preset', 'paper', '--patch', '64x64x16'], /multiple of 32 \(the paper backbone's downsampling\)/);
  await usage(['--method', 'genesis', '--phantom', '--patch', '20x16x8'], /multiple of 8/);
  await usage(['--method', 'genesis', '--phantom', '--steps', '0'], /--steps must be a positive integer/);
  await usage(['--method', 'diffusion', '--phantom', '--ema', '1'], /--ema must be 0 \(off\) or a decay in \(0, 1\), got 1/);
  await usage(['--method', 'genesis', '--phantom', '--ema', 'x'], /--ema must be a number/);
  await usage(['--resume', runs.genesis, '--ema', '0.99'], /drop --ema/);
  await usage(['--resume', runs.genesis, '--method', 'diffusion'], /drop --method/);
  const dir = join(root, 'untouched');
  await usage(['--method', 'diffusion', '--phantom', '--data', root, '--run-dir', dir], /exactly one/);
  assert.equal(existsSync(dir), false);
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'pretrain', '--method', 'vae', '--phantom'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(child.status, 2, child.stderr);
  assert.match(child.stderr, /anadiff: --method must be diffusion, guided, genesis or contrastive, got vae/);
});
