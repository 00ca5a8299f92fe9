/**
 * A segmentation training run, epoch by epoch: train `stepsPerEpoch` steps with the engine's trainer (which
 * checkpoints and resumes exactly), then validation Dice by sliding window on the validation cases, keep the best
 * checkpoint in best/, and at the end export model.onnx (+ model.json) from the best one and write report.json.
 * Fine-tuning switches the step graph at `unfreezeEpoch` (frozen backbone -> all trainable): the frozen graph's
 * checkpoint is converted in memory (zero Adam moments for the backbone, unfreeze.ts) and never rewritten; every
 * checkpoint belongs to the graph of the epoch its step lies in, so a resume on either side of the switch is exact.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseSource } from './jobs/job-spec.js';
import type { ProviderChoice } from '../engine/providers.js';
import type { TrainerEvent, TrainResult } from '../engine/trainer.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { listCheckpointSteps, loadLatestCheckpoint, pruneCheckpoints, writeCheckpoint } from '../engine/checkpoint-store.js';
import { prepareCase, type PreparedCase } from './jobs/segmentation-cases.js';
import { segmentationProgramFrom } from './jobs/segmentation.js';
import type { StepProgram } from '../engine/step-program.js';
import { embedMetadata, type SegmentModelMetadata } from '../segment/model-metadata.js';
import { expectationOf, resumePointOf, runTraining, type ResumePoint } from '../engine/trainer.js';
import { diceOfCases, inferenceModelOf, openSegmenter } from './inference.js';
import { configJson, frozenAtEpoch, jobOf, parseRunConfig, type TrainRunConfig } from './run-config.js';
import { StepClock } from './step-clock.js';
import { withRunLock } from '../runs/run-lock.js';
import { unfreezeResumePoint } from './unfreeze.js';
import { appendMetricsLine, openRun, readValidationLines, RUN_FILES, writeJsonAtomic, type ValidationLine } from '../runs/run-folder.js';

export interface TrainProgress {
  readonly epoch: number;
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
  readonly lr: number | undefined;
  readonly itPerSec: number;
  readonly etaSec: number;
}

export interface TrainHooks {
  readonly onProgress?: (p: TrainProgress) => void;
  /** Human-readable lines (also written to train.log). */
  readonly onMessage?: (message: string) => void;
  /** Polled between steps; true stops after a checkpoint. */
  readonly shouldStop?: () => boolean;
  /** Already prepared cases by id (the protocol runner shares them across folds). */
  readonly preparedCache?: Map<string, PreparedCase>;
  /** What run.lock names as the holder (default "train"). */
  readonly lockKind?: string;
  /** A new run: refuse a folder that already holds one (checked under the lock). */
  readonly newRun?: boolean;
  /** Execution provider for training and validation sessions (a property of the machine, not of the run: not in config.json). */
  readonly provider?: ProviderChoice;
}

export class RunFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunFolderError';
  }
}

export interface TrainReport {
  readonly format: 'anadiff-train-report';
  readonly status: 'done' | 'stopped';
  readonly name: string;
  readonly step: number;
  readonly steps: number;
  readonly epochs: number;
  readonly lastLoss: number | undefined;
  readonly best: { readonly step: number; readonly epoch: number; readonly meanDice: number; readonly dice: Readonly<Record<string, number>> } | undefined;
  readonly model: string | undefined;
  readonly seconds: number;
  readonly msPerStep: number | undefined;
  readonly provider: 'cpu' | 'cuda';
}

export async function loadRunConfig(runDir: string): Promise<TrainRunConfig> {
  const path = join(runDir, RUN_FILES.config);
  if (!existsSync(path)) throw new Error(`${runDir} has no ${RUN_FILES.config}: not a run folder`);
  return parseRunConfig(JSON.parse(readFileSync(path, 'utf8')), path);
}

/** Prepares a case once per (source, labels, spacing): the protocol runner shares the cache across folds. */
export async function prepareCached(source: CaseSource, labels: readonly number[], spacingMm: readonly [number, number, number], cache: Map<string, PreparedCase>): Promise<PreparedCase> {
  const key = `${JSON.stringify(source)}|${spacingMm.join('x')}|${labels.join(',')}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const prepared = await prepareCase(source, labels, spacingMm);
  cache.set(key, prepared);
  return prepared;
}

async function prepareAll(config: TrainRunConfig, cache: Map<string, PreparedCase>): Promise<{ train: PreparedCase[]; val: PreparedCase[] }> {
  const train: PreparedCase[] = [];
  for (const s of config.train) train.push(await prepareCached(s, config.labels, config.spacingMm, cache));
  const val: PreparedCase[] = [];
  for (const s of config.val) val.push(await prepareCached(s, config.labels, config.spacingMm, cache));
  return { train, val };
}

function averageDice(config: TrainRunConfig, perCase: readonly { dice: number[] }[]): { meanDice: number; dice: Record<string, number> } {
  const dice: Record<string, number> = {};
  config.classNames.forEach((name, c) => { dice[name] = perCase.reduce((s, p) => s + p.dice[c]!, 0) / perCase.length; });
  const caseMeans = perCase.map((p) => p.dice.reduce((s, d) => s + d, 0) / p.dice.length);
  return { meanDice: caseMeans.reduce((s, d) => s + d, 0) / caseMeans.length, dice };
}

/**
 * Trains (or resumes) the run in `runDir`. A fresh run writes config.json; a resume reads the folder's own
 * config.json (the caller passes it back) and continues from the newest checkpoint. The folder's run.lock is held
 * from before the first write to the last, so a second writer fails at once naming this one.
 */
export async function trainRun(config: TrainRunConfig, runDir: string, hooks: TrainHooks = {}): Promise<TrainReport> {
  return withRunLock(runDir, hooks.lockKind ?? 'train', () => trainLocked(config, runDir, hooks));
}

async function trainLocked(config: TrainRunConfig, runDir: string, hooks: TrainHooks): Promise<TrainReport> {
  const started = performance.now();
  const ckptDir = join(runDir, RUN_FILES.checkpoints);
  const bestDir = join(runDir, RUN_FILES.best);
  if (hooks.newRun && (existsSync(join(runDir, RUN_FILES.config)) || listCheckpointSteps(ckptDir).length > 0)) {
    throw new RunFolderError(`${runDir} already holds a run: continue it with --resume ${runDir} or pick another --run-dir`);
  }
  const totalSteps = config.epochs * config.stepsPerEpoch;
  const { train, val } = await prepareAll(config, hooks.preparedCache ?? new Map());
  const programs = new Map<boolean, StepProgram>();
  const programFor = (frozen: boolean): StepProgram => {
    let p = programs.get(frozen);
    if (!p) programs.set(frozen, (p = segmentationProgramFrom(jobOf(config, frozen), train)));
    return p;
  };
  const epochOfStep = (step: number): number => Math.max(1, Math.ceil(step / config.stepsPerEpoch));
  /**
   * Where epoch `epoch` starts: the newest checkpoint, verified against the graph of the epoch that wrote it (graph
   * hash, every tensor's name, dtype and shape) before anything is converted or written; at the finetune switch it
   * is converted for the unfrozen graph in memory (unfreeze.ts).
   */
  const resumePointFor = (epoch: number): ResumePoint | undefined => {
    const latest = loadLatestCheckpoint(ckptDir);
    if (!latest) return undefined;
    const writtenFrozen = frozenAtEpoch(config, epochOfStep(latest.manifest.step));
    const point = resumePointOf(expectationOf(programFor(writtenFrozen)), latest);
    const frozen = frozenAtEpoch(config, epoch);
    if (writtenFrozen === frozen) return point;
    if (!writtenFrozen) throw new RunFolderError(`checkpoint step ${latest.manifest.step} trains the backbone, but epoch ${epoch} freezes it: unfreezeEpoch cannot move back`);
    return unfreezeResumePoint(latest, programFor(true), programFor(false));
  };

  const validations = readValidationLines(runDir);
  const isDone = (epoch: number): boolean => {
    const epochEnd = epoch * config.stepsPerEpoch;
    return validations.some((v) => v.step === epochEnd) || (val.length === 0 && (listCheckpointSteps(ckptDir).at(-1) ?? 0) >= epochEnd);
  };
  let firstEpoch = 1;
  while (firstEpoch <= config.epochs && isDone(firstEpoch)) firstEpoch++;
  // Before the first write: a checkpoint that does not fit stops here with the folder untouched.
  let verified = resumePointFor(Math.min(firstEpoch, config.epochs));

  const say = openRun(runDir, config, hooks.onMessage);
  say(`${config.name}: ${train.length} training case(s), ${val.length} validation case(s), patch ${config.patch.join('x')}, ${config.mode}${config.init ? ` from ${config.init}` : ''}, ${totalSteps} steps`);
  if (config.mode !== 'scratch' && !config.backbone) say(`${config.mode} without --backbone: the backbone starts from random weights (a baseline)`);

  let best = validations.reduce<ValidationLine | undefined>((b, v) => (!b || v.meanDice > b.meanDice ? v : b), undefined);
  let result: TrainResult | undefined;
  const clock = new StepClock();
  let stopped = false;
  for (let epoch = firstEpoch; epoch <= config.epochs && !stopped; epoch++) {
    const epochEnd = epoch * config.stepsPerEpoch;
    if (isDone(epoch)) continue;
    const frozen = frozenAtEpoch(config, epoch);
    const program = programFor(frozen);
    const from = verified ?? resumePointFor(epoch);
    verified = undefined;
    clock.startCall();
    const onEvent = (event: TrainerEvent): void => {
      if (event.kind === 'log') say(event.message);
      if (event.kind !== 'progress') return;
      const msPerStep = clock.tick(event.ms);
      hooks.onProgress?.({ epoch, step: event.step, steps: totalSteps, loss: event.loss, lr: event.lr, itPerSec: 1000 / msPerStep, etaSec: ((totalSteps - event.step) * msPerStep) / 1000 });
    };
    result = await runTraining(program, {
      runDir, steps: epochEnd, checkpointEvery: Math.min(config.checkpointEvery, config.stepsPerEpoch), seed: config.seed, resume: true,
      config: configJson(config), onEvent, ...(config.threads ? { threads: config.threads } : {}),
      ...(from ? { resumeFrom: from } : {}),
      ...(hooks.provider ? { provider: hooks.provider } : {}),
      ...(hooks.shouldStop ? { shouldStop: hooks.shouldStop } : {}),
    });
    if (result.stoppedBy === 'cancelled') {
      stopped = true;
      say(`stopped at step ${result.step} (checkpoint written; continue with --resume ${runDir})`);
      break;
    }
    if (val.length === 0) continue;
    const t0 = performance.now();
    const latest = loadLatestCheckpoint(ckptDir);
    if (!latest) throw new Error(`no checkpoint in ${ckptDir} after epoch ${epoch}`);
    const segmenter = await openSegmenter(inferenceModelOf(jobOf(config, frozen), config.labels.length, config.validation.batch, latest.tensors), {
      overlap: config.validation.overlap, ...(config.threads ? { threads: config.threads } : {}), ...(hooks.provider ? { provider: hooks.provider } : {}),
    });
    const perCase = await diceOfCases(segmenter, val).finally(() => segmenter.release());
    const line: ValidationLine = { kind: 'validation', step: latest.manifest.step, epoch, ...averageDice(config, perCase), cases: val.map((c) => c.id), ms: Math.round(performance.now() - t0) };
    // best/ before the validation line: the line marks the epoch done, so a run killed between the two redoes the
    // epoch's validation instead of resuming with a best/ that misses its best checkpoint.
    if (!best || line.meanDice > best.meanDice) {
      best = line;
      mkdirSync(bestDir, { recursive: true });
      writeCheckpoint(bestDir, { step: latest.manifest.step, tensors: latest.tensors, rng: latest.manifest.rng, graphHash: latest.manifest.graphHash, config: latest.manifest.config });
      pruneCheckpoints(bestDir, 1);
    }
    appendMetricsLine(runDir, line);
    validations.push(line);
    say(`epoch ${epoch}/${config.epochs} step ${line.step}: validation Dice ${line.meanDice.toFixed(4)} (${Math.round(line.ms)} ms)`);
  }

  const latest = loadLatestCheckpoint(ckptDir);
  const bestCkpt = best ? loadLatestCheckpoint(bestDir) : undefined;
  const source = bestCkpt ?? latest;
  let model: string | undefined;
  if (!stopped && source) {
    const inference = inferenceModelOf(jobOf(config, false), config.labels.length, 1, source.tensors);
    // segment's metadata (node/segment/model-metadata.ts), embedded in model.onnx and mirrored in model.json.
    const metadata: SegmentModelMetadata = {
      format: 'anadiff-segmentation-model', version: 1, patch: config.patch, spacingMm: config.spacingMm, huWindow: config.huWindow,
      activation: inference.activation, classNames: config.classNames, labelValues: config.labels,
    };
    writeFileAtomic(join(runDir, RUN_FILES.model), [embedMetadata(inference.bytes, metadata)], { overwrite: true });
    writeJsonAtomic(join(runDir, RUN_FILES.modelInfo), { ...metadata, step: source.manifest.step, ...(best ? { validationMeanDice: best.meanDice } : {}) });
    model = RUN_FILES.model;
  }
  const step = latest?.manifest.step ?? 0;
  const report: TrainReport = {
    format: 'anadiff-train-report', status: stopped ? 'stopped' : 'done', name: config.name, step, steps: totalSteps,
    epochs: config.epochs, lastLoss: result?.lastLoss ?? latest?.manifest.loss, model,
    best: best ? { step: best.step, epoch: best.epoch, meanDice: best.meanDice, dice: best.dice } : undefined,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    msPerStep: clock.msPerStep,
    provider: result?.provider ?? 'cpu',
  };
  writeJsonAtomic(join(runDir, RUN_FILES.report), report);
  say(`${report.status}: step ${step}/${totalSteps}${best ? `, best validation Dice ${best.meanDice.toFixed(4)} at step ${best.step}` : ''}${model ? `, ${join(runDir, model)}` : ''}`);
  return report;
}
