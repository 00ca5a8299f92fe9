/**
 * `anadiff compare` (issue 11): the experiment as one resumable command. For every seed (seed-major, so a partial
 * table covers every arm early) and arm: pretrain (`pretrainRun`) unless the arm has no pretraining, train the
 * segmentation head (`trainRun`: probing a frozen backbone in each probe mode, or the whole net for scratch), then score
 * the held-out test cases with the run's best checkpoint. Every stage writes into the compare folder and is skipped
 * when its result is already there (report.json done, test-scores.json written), so Ctrl-C and a rerun of the same
 * command continue where it stopped, and more seeds can be added later. At the end (and after every sitting) the
 * report (core/compare/report.ts) is rebuilt from everything on disk.
 *
 *   RUN_DIR/compare.json                 the experiment (arms and seeds may grow between sittings, nothing else)
 *   RUN_DIR/pretrain/<arm>-seed<S>/      pretraining run folders (docs/run-folder.md)
 *   RUN_DIR/probe/<arm>-seed<S>-<mode>/  segmentation run folders, plus test-scores.json
 *   RUN_DIR/report.json, report.md, plots/*.svg, compare.log
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ARM_DEFINITIONS, isDiffusionArm, pretrainRunName, probeRunName, trainingsOf, type CompareArm, type ProbeMode } from '../../core/compare/arms.js';
import { CompareConfigError, parseCompareConfig, type CompareConfig } from '../../core/compare/config.js';
import type { CaseScore } from '../../core/compare/report.js';
import { dicePerClass } from '../../core/metrics/dice.js';
import { labelVoxels, organsInView } from '../../core/metrics/generalization.js';
import { oneCycle } from '../../core/optim/schedules.js';
import type { ProviderChoice } from '../engine/providers.js';
import { loadLatestCheckpoint } from '../engine/checkpoint-store.js';
import type { PreparedCase } from '../train/jobs/segmentation-cases.js';
import { defaultEma, guidanceConfig, PRETRAIN_OPTIMIZER, type CoordsSource, type PretrainJob } from '../train/jobs/pretrain.js';
import { writeSynthCases } from '../synth/generate-files.js';
import { resolveBackbone } from '../train/backbone.js';
import { inferenceModelOf, openSegmenter } from '../train/inference.js';
import { exportBackboneAt, pretrainRun, type PretrainReport, type PretrainRunConfig } from '../train/pretrain-run.js';
import { resolveTrainConfig, TRAIN_DEFAULTS } from '../train/resolve-train.js';
import { jobOf, type TrainRunConfig } from '../train/run-config.js';
import { createRunLog, RUN_FILES, writeJsonAtomic } from '../runs/run-folder.js';
import { coordsModelOf } from '../datasets/coords-cache.js';
import { withRunLock } from '../runs/run-lock.js';
import { prepareCached, trainRun, type TrainReport } from '../train/train-run.js';
import { checkOracleCoords, checkTestUnseen, CompareError, ctSources, labelledSources } from './compare-data.js';
import { COMPARE_FILES, readJson, writeReport, type CompareReportFile } from './compare-report.js';

export { COMPARE_FILES, CompareError };

export interface CompareOptions {
  readonly runDir: string;
  /** Where the config's relative paths start: the config file's folder. */
  readonly baseDir: string;
  readonly threads?: number;
  readonly provider?: ProviderChoice;
  /** Run only these arms and seeds this sitting (the report still covers every arm and seed of the config). */
  readonly only?: { readonly arms?: readonly CompareArm[]; readonly seeds?: readonly number[] };
}

export interface CompareHooks {
  readonly onMessage?: (message: string) => void;
  readonly onProgress?: (p: { stage: string; step: number; steps: number; loss: number; etaSec: number }) => void;
  readonly shouldStop?: () => boolean;
}

export interface CompareOutcome {
  readonly status: 'done' | 'stopped';
  readonly report: CompareReportFile;
}

/** The parts of a config that define the experiment: a folder's runs are only comparable under the same ones. */
const experimentOf = (c: CompareConfig): unknown => ({ ...c, arms: undefined, seeds: undefined, name: undefined, probe: { ...c.probe, timesteps: undefined } });

/**
 * The config a compare folder already holds, checked against the one given: the same experiment (arms, seeds and
 * the probing timestep sweep may differ: a sitting may add seeds or run a subset) or an error naming what changed.
 */
function checkSameExperiment(runDir: string, config: CompareConfig): void {
  const path = join(runDir, COMPARE_FILES.config);
  if (!existsSync(path)) return;
  const held = parseCompareConfig(JSON.parse(readFileSync(path, 'utf8')), path);
  const a = experimentOf(held) as Record<string, unknown>, b = experimentOf(config) as Record<string, unknown>;
  const changed = Object.keys(a).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  if (changed.length > 0) throw new CompareError(`${runDir} holds another experiment (${changed.join(', ')} differ from ${path}); give another --run-dir, or the same config (only arms, seeds and probe.timesteps may change between sittings)`);
}

/** Dice of one segmenter on every test case, each case's mean over its organs in view (>= 1 mL in the reference). */
async function scoreTestCases(config: TrainRunConfig, runDir: string, test: readonly PreparedCase[], options: CompareOptions): Promise<CaseScore[]> {
  const best = loadLatestCheckpoint(join(runDir, RUN_FILES.best)) ?? loadLatestCheckpoint(join(runDir, RUN_FILES.checkpoints));
  if (!best) throw new CompareError(`${runDir}: no checkpoint to score`);
  const segmenter = await openSegmenter(inferenceModelOf(jobOf(config, false), config.labels.length, config.validation.batch, best.tensors), {
    overlap: config.validation.overlap, ...(options.threads ? { threads: options.threads } : {}), ...(options.provider ? { provider: options.provider } : {}),
  });
  const classes = config.labels.map((_, k) => k + 1);
  const out: CaseScore[] = [];
  try {
    for (const c of test) {
      const pred = await segmenter.segment(c);
      const dice = dicePerClass(pred, c.volume.labels, classes);
      const mlPerVoxel = c.spacingMm.reduce((p, s) => p * s, 1) / 1000;
      const inView = organsInView(labelVoxels(c.volume.labels), mlPerVoxel).map((label) => label - 1);
      const meanDice = inView.length === 0 ? NaN : inView.reduce((s, k) => s + dice[k]!, 0) / inView.length;
      out.push({ id: c.id, dice, inView, meanDice });
    }
  } finally {
    await segmenter.release();
  }
  return out;
}

export async function runCompare(config: CompareConfig, options: CompareOptions, hooks: CompareHooks = {}): Promise<CompareOutcome> {
  checkSameExperiment(options.runDir, config);
  return withRunLock(options.runDir, 'compare', () => runLocked(config, options, hooks));
}

function coordsModelFor(path: string): { readonly model: string; readonly sha256: string } {
  try {
    return coordsModelOf(path);
  } catch (e) {
    throw new CompareError(`pretrain.coords: ${(e as Error).message.replace(/^--model \S+: /, '')}`);
  }
}

/**
 * The folder's guided pretraining runs were begun with the same coordinates: a coordinate model whose file changed
 * between sittings would otherwise guide the unfinished runs with another model than the finished ones.
 */
function checkSameCoordsModel(runDir: string, coords: CoordsSource): void {
  const dir = join(runDir, 'pretrain');
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const held = readJson<PretrainRunConfig>(join(dir, name, RUN_FILES.config))?.job.guidance?.coords;
    if (held === undefined) continue;
    const same = held === 'oracle' || coords === 'oracle' ? held === coords : held.sha256 === coords.sha256;
    if (!same) {
      const what = (c: CoordsSource): string => (c === 'oracle' ? 'the oracle coordinates' : `${c.model} (sha256 ${c.sha256.slice(0, 12)}…)`);
      throw new CompareError(`pretrain.coords: ${join(dir, name)} was begun with ${what(held)}, the config now gives ${what(coords)}; give another --run-dir for another coordinate model`);
    }
  }
}

async function runLocked(config: CompareConfig, options: CompareOptions, hooks: CompareHooks): Promise<CompareOutcome> {
  const { runDir, baseDir } = options;
  // The guided arms' coordinate model, found and hashed before anything is written (a missing one is an error now,
  // not in an hour), and the same model the folder's guided runs were begun with.
  const coords = config.pretrain.coords === 'oracle' ? 'oracle' as const : coordsModelFor(resolve(baseDir, config.pretrain.coords));
  checkSameCoordsModel(runDir, coords);
  writeJsonAtomic(join(runDir, COMPARE_FILES.config), config);
  const log = createRunLog(runDir, COMPARE_FILES.log);
  const say = (m: string): void => { log(m); hooks.onMessage?.(m); };
  const seconds: Record<string, number> = {};
  const timed = async <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try { return await work(); } finally { seconds[key] = (seconds[key] ?? 0) + Math.round((performance.now() - t0) / 100) / 10; }
  };

  const stopped = (): boolean => hooks.shouldStop?.() === true;
  await timed('synth', async () => {
    for (const s of config.synth) {
      if (stopped()) return;
      const reports = await writeSynthCases({ labelsPath: resolve(baseDir, s.labels), outDir: resolve(baseDir, s.out), count: s.n, seed: s.seed });
      const made = reports.filter((r) => !r.kept).length;
      say(`synth ${s.out}: ${made} case(s) made, ${reports.length - made} kept, from ${basename(s.labels)}`);
    }
  });
  if (stopped()) {
    // Ctrl-C during the synthetic data (a case takes up to a minute): nothing to list or run yet.
    say('stopped during the synthetic data; rerun the same command to continue (complete cases are kept)');
    return { status: 'stopped', report: writeReport(config, runDir, seconds) };
  }
  const pretrainSet = await ctSources(config.data.pretrain, baseDir, say);
  const [train, val, test] = await Promise.all((['train', 'val', 'test'] as const).map((k) => labelledSources(config.data[k], baseDir, k)));
  checkTestUnseen(test!, [...pretrainSet, ...train!, ...val!]);
  const guidedArmsRun = config.arms.some((a) => ARM_DEFINITIONS[a].pretrain?.method === 'guided' && (options.only?.arms?.includes(a) ?? true));
  if (guidedArmsRun && coords === 'oracle') checkOracleCoords(pretrainSet);
  say(`${config.name}: arms ${config.arms.join(', ')}; seeds ${config.seeds.join(', ')}; ${pretrainSet.length} pretraining CT(s), ${train!.length} probe training, ${val!.length} validation, ${test!.length} test case(s)`);

  const cache = new Map<string, PreparedCase>();
  let testCases: PreparedCase[] | undefined;
  const progress = (stage: string) => (p: { step: number; steps: number; loss: number; etaSec: number }) => hooks.onProgress?.({ stage, ...p });

  const pretrainOf = async (arm: CompareArm, seed: number): Promise<string | undefined> => {
    const def = ARM_DEFINITIONS[arm].pretrain;
    if (!def) return undefined;
    const dir = join(runDir, 'pretrain', pretrainRunName(arm, seed));
    const done = readJson<PretrainReport>(join(dir, RUN_FILES.report));
    if (done?.status !== 'done' || done.step !== config.pretrain.steps) {
      const p = config.pretrain;
      const job: PretrainJob = {
        kind: 'pretrain', method: def.method, preset: config.preset, patch: p.patch, batch: p.batch,
        optimizer: PRETRAIN_OPTIMIZER, schedule: oneCycle(p.lr, p.steps, { pctStart: 0.1 }),
        // each method as `anadiff pretrain` runs it by default (diffusion and guided export their weights' EMA)
        ...(defaultEma(def.method) !== undefined ? { ema: defaultEma(def.method)! } : {}),
        ...(def.guidance ? { guidance: guidanceConfig(def.guidance, p.guidanceWeight, coords) } : {}),
        ...(def.method === 'contrastive' ? { positives: p.positives } : {}),
      };
      const runConfig: PretrainRunConfig = {
        format: 'anadiff-pretrain-run', version: 1, kind: 'pretrain', name: pretrainRunName(arm, seed), job, train: pretrainSet,
        spacingMm: config.spacingMm, steps: p.steps, checkpointEvery: p.checkpointEvery, seed,
        ...(options.threads ? { threads: options.threads } : {}), ...(options.provider ? { provider: options.provider } : {}),
      };
      say(`pretrain ${arm} seed ${seed}: ${def.method}, ${p.steps} steps`);
      const report = await timed(`pretrain ${arm}`, () => pretrainRun(runConfig, dir, { coordsCache: join(runDir, 'cache', 'coords'), onProgress: progress(`pretrain ${arm} seed ${seed}`), onMessage: log, shouldStop: stopped }));
      if (report.status === 'stopped') return 'stopped';
    }
    return dir;
  };

  /** The head training of one (arm, seed, mode): its resolved config and folder (the test set is scored apart). */
  const headTraining = async (arm: CompareArm, seed: number, training: ProbeMode | 'scratch', backbone: string | undefined, name: string) => {
    const p = config.probe;
    const steps = p.epochs * p.stepsPerEpoch;
    const runConfig = await resolveTrainConfig({
      train: train!, val: val!, name, seed, mode: training, preset: config.preset,
      patch: p.patch, batch: p.batch, lr: p.lr, epochs: p.epochs, stepsPerEpoch: p.stepsPerEpoch, checkpointEvery: p.checkpointEvery,
      warmupSteps: Math.min(TRAIN_DEFAULTS.warmupSteps, Math.ceil(0.1 * steps)), spacingMm: config.spacingMm, augment: p.augment, slabProbability: p.slabs, overlap: p.overlap,
      ...(backbone ? { backbone } : {}), ...(options.threads ? { threads: options.threads } : {}),
    }, cache);
    const dir = join(runDir, 'probe', name);
    let report = readJson<TrainReport>(join(dir, RUN_FILES.report));
    if (report?.status !== 'done') {
      say(`train ${name} (${training}${backbone ? ', frozen pretrained backbone' : training === 'scratch' ? '' : ', frozen random backbone'}): ${steps} steps`);
      report = await timed(`train ${arm}`, () => trainRun(runConfig, dir, {
        lockKind: 'compare', preparedCache: cache, onMessage: log, shouldStop: stopped, ...(options.provider ? { provider: options.provider } : {}),
        onProgress: (q) => hooks.onProgress?.({ stage: `train ${name}`, step: q.step, steps: q.steps, loss: q.loss, etaSec: q.etaSec }),
      }));
    }
    return { runConfig, dir, report };
  };

  const probeOf = async (arm: CompareArm, seed: number, training: ProbeMode | 'scratch', backboneRun: string | undefined): Promise<'stopped' | undefined> => {
    const name = probeRunName(arm, seed, training);
    const scoresPath = join(runDir, 'probe', name, COMPARE_FILES.testScores);
    if (existsSync(scoresPath)) return undefined;
    // best/ only: checkpoints/ hold the training state (diffusion's FiLM unfolded), not a segmenter's backbone.
    const backbone = backboneRun ? resolveBackbone(join(backboneRun, RUN_FILES.best), 'pretrained backbone') : undefined;
    const { runConfig, dir, report } = await headTraining(arm, seed, training, backbone, name);
    if (report.status === 'stopped') return 'stopped';
    testCases ??= await Promise.all(test!.map((s) => prepareCached(s, runConfig.labels, runConfig.spacingMm, cache)));
    const cases = await timed(`test ${arm}`, () => scoreTestCases(runConfig, dir, testCases!, options));
    writeJsonAtomic(scoresPath, { format: 'anadiff-compare-test-scores', arm, seed, training, classNames: runConfig.classNames, cases });
    say(`test ${arm} seed ${seed} ${training}: mean Dice ${(cases.reduce((s, c) => s + c.meanDice, 0) / cases.length).toFixed(4)} over ${cases.length} case(s)`);
    return undefined;
  };

  /**
   * The probing timestep sweep (diffusion arms, first seed, first probe mode): the backbone with FiLM folded at each
   * t, probed like the main run and judged by its best validation Dice only (the test set stays for t = 0).
   */
  const sweepOf = async (arm: CompareArm, seed: number, backboneRun: string): Promise<'stopped' | undefined> => {
    const mode = config.probe.modes[0]!;
    for (const t of config.probe.timesteps) {
      const name = `${probeRunName(arm, seed, mode)}-t${t}`;
      if (readJson<TrainReport>(join(runDir, 'probe', name, RUN_FILES.report))?.status === 'done') continue;
      const { report } = await headTraining(arm, seed, mode, exportBackboneAt(backboneRun, t), name);
      if (report.status === 'stopped') return 'stopped';
      say(`sweep ${arm} seed ${seed} t=${t}: best validation Dice ${report.best?.meanDice.toFixed(4) ?? '-'}`);
    }
    return undefined;
  };

  let status: 'done' | 'stopped' = 'done';
  const seeds = config.seeds.filter((s) => options.only?.seeds?.includes(s) ?? true);
  const arms = config.arms.filter((a) => options.only?.arms?.includes(a) ?? true);
  outer: for (const seed of seeds) {
    for (const arm of arms) {
      const backbone = await pretrainOf(arm, seed);
      if (backbone === 'stopped') { status = 'stopped'; break outer; }
      for (const training of trainingsOf(arm, config.probe.modes)) {
        if ((await probeOf(arm, seed, training, backbone)) === 'stopped') { status = 'stopped'; break outer; }
      }
    }
    // The sweep after the seed's main runs: the test table fills first, the validation-only sweep after it.
    if (seed !== config.seeds[0]) continue;
    for (const arm of arms.filter(isDiffusionArm)) {
      if ((await sweepOf(arm, seed, join(runDir, 'pretrain', pretrainRunName(arm, seed)))) === 'stopped') { status = 'stopped'; break outer; }
    }
  }
  if (status === 'stopped') say(`stopped; rerun the same command to continue (finished runs are kept)`);
  const report = writeReport(config, runDir, seconds);
  return { status, report };
}

/** A compare config file: parsed and checked, with the folder its relative paths start from. */
export function loadCompareConfig(path: string): { config: CompareConfig; baseDir: string } {
  if (!existsSync(path)) throw new CompareConfigError(`${path}: no such file`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CompareConfigError(`${path}: not JSON (${(e as Error).message})`);
  }
  return { config: parseCompareConfig(json, path), baseDir: resolve(path, '..') };
}
