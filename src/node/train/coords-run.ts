/**
 * A coordinate-model training run (`anadiff coords train`, docs/coords.md): the same run folder as a segmentation
 * run (docs/run-folder.md: config.json, metrics.jsonl, checkpoints/, best/, model.onnx + model.json, train.log,
 * report.json, run.lock) so the run monitor and `--resume` treat it alike. Training is the engine's runTraining in
 * chunks of `validateEvery` steps; after each chunk, validation measures on held-out CTs how well embedding distances
 * follow physical distances (Pearson over 10,000 pairs of body voxels of fixed crops), and the best checkpoint by
 * that measure goes to best/. No labels anywhere.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { sampleCropPair, APE_CROP_DEFAULTS, type CoordsVolume } from '../../core/coords/crop-pairs.js';
import { COORDS_STRIDE } from '../../core/coords/network.js';
import { distanceCorrelation } from '../../core/coords/quality.js';
import { buildCoordsInferenceGraph } from '../../core/coords/train-step.js';
import { coordsVolumeOf, COORDS_HU_WINDOW } from '../../core/coords/volume.js';
import type { NamedTensor } from '../../core/checkpoint/safetensors.js';
import { toOnnxModel } from '../../core/onnx/index.js';
import { makePhantom } from '../../core/phantom/index.js';
import { createRng } from '../../core/random/rng.js';
import { reorientToRas } from '../../core/volume/orientation.js';
import type { TrainerEvent, TrainResult } from '../engine/trainer.js';
import { loadLatestCheckpoint, pruneCheckpoints, writeCheckpoint } from '../engine/checkpoint-store.js';
import { bakeParameters } from '../engine/export-onnx.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { coordsNetOf, coordsProgramFrom, type CoordsJob } from './jobs/coords.js';
import { createSession } from '../engine/providers.js';
import { runTraining } from '../engine/trainer.js';
import { readNamedNiftiFile } from '../nifti/read-file.js';
import { ctInputProblems } from '../../core/infer/ct-input.js';
import { StepClock } from './step-clock.js';
import { withRunLock } from '../runs/run-lock.js';
import { openRun, RUN_FILES, writeJsonAtomic } from '../runs/run-folder.js';

/** A CT the run reads: a NIfTI file, or the built-in phantom (demos and tests). */
export type CtSource = { readonly id: string; readonly image: string } | { readonly id: string; readonly phantom: { readonly seed: number } };

export interface CoordsRunConfig {
  readonly format: 'anadiff-coords-run';
  readonly version: 1;
  readonly kind: 'coords';
  readonly name: string;
  readonly job: CoordsJob;
  readonly train: readonly CtSource[];
  readonly val: readonly CtSource[];
  readonly steps: number;
  readonly checkpointEvery: number;
  readonly validateEvery: number;
  readonly seed: number;
  readonly threads?: number;
  readonly provider?: 'auto' | 'cpu' | 'cuda';
}

export interface CoordsValidationLine {
  readonly kind: 'validation';
  readonly step: number;
  /** Pearson correlation of embedding and physical distances, mean over validation CTs. */
  readonly pearson: number;
  readonly perCase: Readonly<Record<string, number>>;
  readonly ms: number;
}

export interface CoordsReport {
  readonly format: 'anadiff-coords-report';
  readonly status: 'done' | 'stopped';
  readonly name: string;
  readonly step: number;
  readonly steps: number;
  readonly lastLoss: number | undefined;
  readonly best: { readonly step: number; readonly pearson: number } | undefined;
  readonly model: string | undefined;
  readonly seconds: number;
  readonly msPerStep: number | undefined;
  readonly provider: 'cpu' | 'cuda';
}

export interface CoordsModelInfo {
  readonly format: 'anadiff-coords-model';
  readonly version: 1;
  /** Crop the exported graph takes, (i, j, k) voxels; its output `coords` is at stride 4. */
  readonly patch: readonly [number, number, number];
  readonly stride: number;
  readonly huWindow: readonly [number, number];
  /** The training spacing range (mm): prediction resamples into it. */
  readonly minSpacing: readonly [number, number, number];
  readonly maxSpacing: readonly [number, number, number];
  readonly step: number;
  readonly validationPearson?: number;
}

export interface CoordsHooks {
  readonly onProgress?: (p: { step: number; steps: number; loss: number; etaSec: number }) => void;
  readonly onMessage?: (message: string) => void;
  readonly shouldStop?: () => boolean;
}

export async function loadCtVolume(source: CtSource): Promise<CoordsVolume> {
  if ('phantom' in source) return coordsVolumeOf(makePhantom({ size: 'small', seed: source.phantom.seed }).image);
  const nifti = await readNamedNiftiFile(source.image);
  const problems = ctInputProblems(nifti);
  if (problems.length > 0) throw new Error(`${source.image}: not a CT the coordinate model can learn from: ${problems.join('; ')}`);
  return coordsVolumeOf(reorientToRas({ dims: nifti.dims, ijkToRas: nifti.ijkToRas, data: nifti.data }));
}

const VALIDATION_PAIRS = 4;
const VALIDATION_DISTANCE_PAIRS = 10_000;

/** Embeddings of fixed crops of `volume` (seeded, so every validation sees the same points) and their mm positions. */
async function validateVolume(session: ort.InferenceSession, job: CoordsJob, volume: CoordsVolume): Promise<number> {
  const { Tensor } = await import('onnxruntime-node');
  const crops = { ...APE_CROP_DEFAULTS, ...job.crops };
  const [pi, pj, pk] = crops.patch;
  const [mi, mj] = [pi / COORDS_STRIDE, pj / COORDS_STRIDE];
  const mapVoxels = mi * mj * (pk / COORDS_STRIDE);
  const rng = createRng(12345, 7);
  const emb: number[] = [], mm: number[] = [];
  for (let p = 0; p < VALIDATION_PAIRS; p++) {
    const pair = sampleCropPair(rng, volume, { ...crops, anchor: 'body' });
    for (const v of [0, 1] as const) {
      const out = await session.run({ image: new Tensor('float32', pair.views[v].image, [1, 1, pk, pj, pi]) });
      const map = out.coords?.data as Float32Array | undefined;
      if (!map) throw new Error('coords model has no output "coords"');
      for (let s = 0; s < crops.bodySlots; s++) {
        if (!pair.weight[v][s]) continue;
        const flat = pair.idx[v][s]!;
        const x = flat % pi, y = Math.floor(flat / pi) % pj, z = Math.floor(flat / (pi * pj));
        const m = Math.floor(x / COORDS_STRIDE) + mi * (Math.floor(y / COORDS_STRIDE) + mj * Math.floor(z / COORDS_STRIDE));
        for (let c = 0; c < 3; c++) emb.push(map[c * mapVoxels + m]!);
        for (let a = 0; a < 3; a++) mm.push(pair.mm[v][s * 3 + a]!);
      }
    }
  }
  if (emb.length < 6) throw new Error('validation: the crops hold no body voxels');
  return distanceCorrelation({ emb: Float32Array.from(emb), mm: Float32Array.from(mm) }, VALIDATION_DISTANCE_PAIRS, createRng(54321, 7));
}

function inferenceBytes(config: CoordsRunConfig, tensors: ReadonlyMap<string, NamedTensor>): Uint8Array {
  const [pi, pj, pk] = { ...APE_CROP_DEFAULTS, ...config.job.crops }.patch;
  const built = buildCoordsInferenceGraph(coordsNetOf(config.job), 1, [pk, pj, pi]);
  return bakeParameters(toOnnxModel(built.graph), tensors, built.params.map((p) => p.name));
}

function readCoordsValidations(runDir: string): CoordsValidationLine[] {
  const path = join(runDir, RUN_FILES.metrics);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').flatMap((text) => {
    if (!text.includes('"validation"')) return [];
    try {
      const line = JSON.parse(text) as Partial<CoordsValidationLine>;
      return line.kind === 'validation' && typeof line.pearson === 'number' && typeof line.step === 'number' ? [line as CoordsValidationLine] : [];
    } catch {
      return []; // a killed run's half line
    }
  });
}

/** Trains (or resumes: same folder, its own config.json) a coordinate model in `runDir`. */
export async function coordsRun(config: CoordsRunConfig, runDir: string, hooks: CoordsHooks = {}): Promise<CoordsReport> {
  const started = performance.now();
  return withRunLock(runDir, 'coords', () => coordsRunLocked(config, runDir, hooks, started));
}

async function coordsRunLocked(config: CoordsRunConfig, runDir: string, hooks: CoordsHooks, started: number): Promise<CoordsReport> {
  const say = openRun(runDir, config, hooks.onMessage);
  const ckptDir = join(runDir, RUN_FILES.checkpoints);
  const bestDir = join(runDir, RUN_FILES.best);
  const train: CoordsVolume[] = [];
  for (const s of config.train) train.push(await loadCtVolume(s));
  const val: { id: string; volume: CoordsVolume }[] = [];
  for (const s of config.val) val.push({ id: s.id, volume: await loadCtVolume(s) });
  const program = coordsProgramFrom(config.job, train);
  say(`${config.name}: ${train.length} training CT(s), ${val.length} validation CT(s), ${config.job.pairs} crop pairs per step, ${config.steps} steps`);

  const validations = readCoordsValidations(runDir);
  let best = validations.reduce<CoordsValidationLine | undefined>((b, v) => (!b || v.pearson > b.pearson ? v : b), undefined);
  let result: TrainResult | undefined;
  const clock = new StepClock();
  let stopped = false;
  let done = loadLatestCheckpoint(ckptDir)?.manifest.step ?? 0;
  while (done < config.steps && !stopped) {
    const chunkEnd = Math.min(config.steps, (Math.floor(done / config.validateEvery) + 1) * config.validateEvery);
    clock.startCall();
    const onEvent = (event: TrainerEvent): void => {
      if (event.kind === 'log') say(event.message);
      if (event.kind !== 'progress') return;
      const ms = clock.tick(event.ms);
      hooks.onProgress?.({ step: event.step, steps: config.steps, loss: event.loss, etaSec: ((config.steps - event.step) * ms) / 1000 });
    };
    result = await runTraining(program, {
      runDir, steps: chunkEnd, checkpointEvery: Math.min(config.checkpointEvery, config.validateEvery), seed: config.seed, resume: true,
      config: config as never, onEvent, ...(config.threads ? { threads: config.threads } : {}),
      ...(config.provider && config.provider !== 'auto' ? { provider: config.provider } : {}),
      ...(hooks.shouldStop ? { shouldStop: hooks.shouldStop } : {}),
    });
    done = result.step;
    if (result.stoppedBy === 'cancelled') {
      stopped = true;
      say(`stopped at step ${done} (checkpoint written; continue with --resume ${runDir})`);
      break;
    }
    if (val.length === 0 || validations.some((v) => v.step === done)) continue;
    const t0 = performance.now();
    const latest = loadLatestCheckpoint(ckptDir);
    if (!latest) throw new Error(`no checkpoint in ${ckptDir} at step ${done}`);
    const session = await createSession(inferenceBytes(config, latest.tensors), config.threads ? { threads: config.threads } : {});
    const perCase: Record<string, number> = {};
    try {
      for (const v of val) perCase[v.id] = await validateVolume(session, config.job, v.volume);
    } finally {
      await session.release();
    }
    const values = Object.values(perCase);
    const line: CoordsValidationLine = { kind: 'validation', step: latest.manifest.step, pearson: values.reduce((s, x) => s + x, 0) / values.length, perCase, ms: Math.round(performance.now() - t0) };
    // best/ before the line that names it: a kill between the two leaves a line-less best/, which the resumed run
    // validates again, never a line whose checkpoint is missing.
    if (!best || line.pearson > best.pearson) {
      best = line;
      mkdirSync(bestDir, { recursive: true });
      writeCheckpoint(bestDir, { step: latest.manifest.step, tensors: latest.tensors, rng: latest.manifest.rng, graphHash: latest.manifest.graphHash, config: latest.manifest.config });
      pruneCheckpoints(bestDir, 1);
    }
    appendFileSync(join(runDir, RUN_FILES.metrics), `${JSON.stringify(line)}\n`);
    validations.push(line);
    say(`step ${line.step}/${config.steps}: distance correlation ${line.pearson.toFixed(4)} on ${val.map((v) => v.id).join(', ')} (${line.ms} ms)`);
  }

  const latest = loadLatestCheckpoint(ckptDir);
  const source = (best ? loadLatestCheckpoint(bestDir) : undefined) ?? latest;
  let model: string | undefined;
  if (!stopped && source) {
    const crops = { ...APE_CROP_DEFAULTS, ...config.job.crops };
    // The same baked graph validation ran, written atomically.
    writeFileAtomic(join(runDir, RUN_FILES.model), [inferenceBytes(config, source.tensors)], { overwrite: true });
    const info: CoordsModelInfo = {
      format: 'anadiff-coords-model', version: 1, patch: crops.patch, stride: COORDS_STRIDE, huWindow: COORDS_HU_WINDOW,
      minSpacing: crops.minSpacing, maxSpacing: crops.maxSpacing, step: source.manifest.step, ...(best ? { validationPearson: best.pearson } : {}),
    };
    writeJsonAtomic(join(runDir, RUN_FILES.modelInfo), info);
    model = RUN_FILES.model;
  }
  const step = latest?.manifest.step ?? 0;
  const report: CoordsReport = {
    format: 'anadiff-coords-report', status: stopped ? 'stopped' : 'done', name: config.name, step, steps: config.steps,
    lastLoss: result?.lastLoss ?? latest?.manifest.loss, best: best ? { step: best.step, pearson: best.pearson } : undefined, model,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    msPerStep: clock.msPerStep,
    provider: result?.provider ?? 'cpu',
  };
  writeJsonAtomic(join(runDir, RUN_FILES.report), report);
  say(`${report.status}: step ${step}/${config.steps}${best ? `, best distance correlation ${best.pearson.toFixed(4)} at step ${best.step}` : ''}${model ? `, ${join(runDir, model)}` : ''}`);
  return report;
}
