/**
 * A pretraining run (`anadiff pretrain`, issue 11): the run folder of `anadiff train` and `coords train`
 * (docs/run-folder.md: config.json, metrics.jsonl with the loss of every step, checkpoints/, train.log, report.json,
 * run.lock while it runs), trained by the engine's runTraining, so Ctrl-C stops after a checkpoint and a resumed run
 * repeats the uninterrupted one exactly. No labels and no validation: what a pretraining run hands on is its backbone.
 * best/ holds that backbone as a plain FPN3d checkpoint (`backbone.*` only, from the EMA of the weights when the job
 * keeps one, its manifest config says `weights: 'ema' | 'raw'`; for diffusion with FiLM folded at t = 0 and the
 * [-1, 1] input range folded into the stem, jobs/pretrain.ts; for guided cond and both also at the null condition,
 * the stem cut to its image channel; for genesis and contrastive as trained), rewritten whenever the run ends (done
 * or stopped), so `anadiff train --backbone RUN` (which reads best/ first) loads it as it is. checkpoints/ keep the
 * full training state for --resume; segmentation refuses to load a diffusion training checkpoint (unfolded FiLM).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePhantom } from '../../core/phantom/index.js';
import { DEFAULT_SPACING_MM, gridSpacing, preprocessCase, type Grid, type VoxelArray } from '../../core/preprocess/index.js';
import { isConditioned, standardiseCoords } from '../../core/diffusion/guided-step.js';
import { sourceIjkToRas } from '../../core/synth/oracle-coords.js';
import { coordsMapPathFor } from '../datasets/layouts.js';
import { preprocessWithPredictedCoords } from '../datasets/coords-cache.js';
import type { Json } from '../../core/checkpoint/manifest.js';
import type { TrainerEvent, TrainResult } from '../engine/trainer.js';
import { loadLatestCheckpoint, pruneCheckpoints, writeCheckpoint, type LoadedCheckpoint } from '../engine/checkpoint-store.js';
import { EXPORT_TIMESTEP, pretrainedBackbone, pretrainProgramFrom, type GuidanceConfig, type PretrainJob, type PretrainVolume } from './jobs/pretrain.js';
import { runTraining } from '../engine/trainer.js';
import { readNiftiFile } from '../nifti/read-file.js';
import type { CtSource } from './coords-run.js';
import { withRunLock } from '../runs/run-lock.js';
import { openRun, RUN_FILES, writeJsonAtomic } from '../runs/run-folder.js';
import { StepClock } from './step-clock.js';

export interface PretrainRunConfig {
  readonly format: 'anadiff-pretrain-run';
  readonly version: 1;
  readonly kind: 'pretrain';
  readonly name: string;
  readonly job: PretrainJob;
  readonly train: readonly CtSource[];
  /** Target spacing (mm) of the segmentation preprocessing every CT goes through. */
  readonly spacingMm: readonly [number, number, number];
  readonly steps: number;
  readonly checkpointEvery: number;
  readonly seed: number;
  readonly threads?: number;
  readonly provider?: 'auto' | 'cpu' | 'cuda';
}

export interface PretrainReport {
  readonly format: 'anadiff-pretrain-report';
  readonly status: 'done' | 'stopped';
  readonly name: string;
  readonly method: PretrainJob['method'];
  readonly step: number;
  readonly steps: number;
  readonly lastLoss: number | undefined;
  /** The exported backbone's manifest, relative to the run folder (what `train --backbone RUN` loads). */
  readonly backbone: string | undefined;
  readonly seconds: number;
  readonly msPerStep: number | undefined;
  readonly provider: 'cpu' | 'cuda';
}

export interface PretrainHooks {
  /** Where a coordinate model's predictions are cached (default `.anadiff/cache/coords` of the current folder). */
  readonly coordsCache?: string;
  readonly onProgress?: (p: { step: number; steps: number; loss: number; etaSec: number }) => void;
  readonly onMessage?: (message: string) => void;
  readonly shouldStop?: () => boolean;
}

/** The phantom CTs `--phantom` pretrains on (seed 2 is `train --phantom`'s validation case, so it stays unseen). */
export const PRETRAIN_PHANTOM_SEEDS = [1, 3] as const;
/** `train --phantom`'s spacing, so a phantom backbone is pretrained on the grid it is probed on. */
export const PHANTOM_SPACING_MM: readonly [number, number, number] = [3, 3, 4];
export { DEFAULT_SPACING_MM };

/**
 * One CT preprocessed exactly as segmentation training does (RAS, body crop, resampling, HU window to [0, 1]). With
 * `guidance`, also its coordinate maps (the generator's, or a coordinate model's: coords-cache.ts), preprocessed as the
 * CT (same reorientation, crop and resampling, linear) and standardised around the body's centre (standardiseCoords:
 * mm / 100 for the generator's, model units as they are), and the body mask the coordinate loss counts.
 */
export async function loadPretrainVolume(
  source: CtSource, spacingMm: readonly [number, number, number], guidance?: GuidanceConfig, options: { readonly coordsCache?: string; readonly threads?: number } = {},
): Promise<PretrainVolume> {
  const image = 'phantom' in source ? makePhantom({ size: 'small', seed: source.phantom.seed }).image : await readNiftiFile(source.image);
  try {
    const coordsFrom = guidance?.coords;
    if (coordsFrom !== undefined && coordsFrom !== 'oracle') {
      const ct = { id: source.id, ...('image' in source ? { file: source.image } : {}), image };
      const { pre, coords } = await preprocessWithPredictedCoords(ct, coordsFrom, spacingMm, { ...(options.coordsCache ? { cacheDir: options.coordsCache } : {}), ...(options.threads ? { threads: options.threads } : {}) });
      return { dims: pre.image.dims, image: pre.image.data, body: pre.bodyMask.data, spacingMm: gridSpacing(pre.image.ijkToRas), coords: standardiseCoords(coords, pre.bodyMask.data, 1) };
    }
    const channels = coordsFrom === 'oracle' ? await oracleCoords(source, image) : undefined;
    const pre = preprocessCase({ image, ...(channels ? { channels } : {}) }, { spacingMm });
    const volume = { dims: pre.image.dims, image: pre.image.data, body: pre.bodyMask.data, spacingMm: gridSpacing(pre.image.ijkToRas) };
    if (!pre.channels) return volume;
    const n = pre.image.data.length;
    const coords = new Float32Array(3 * n);
    pre.channels.forEach((c, a) => coords.set(c.data, a * n));
    return { ...volume, coords: standardiseCoords(coords, pre.bodyMask.data) };
  } catch (err) {
    throw new Error(`${source.id}: ${(err as Error).message}`);
  }
}

/**
 * The oracle coordinates (mm) of a CT on its own grid, 3 grids: `anadiff synth`'s `<case>_coords.nii.gz` beside a
 * file; for the phantom (no deformation: it is its own atlas) every voxel's own RAS position.
 */
async function oracleCoords(source: CtSource, image: Grid<VoxelArray>): Promise<Grid<Float32Array>[]> {
  if ('phantom' in source) {
    const [ni, nj, nk] = image.dims as [number, number, number];
    const field = new Float32Array(3 * ni * nj * nk);
    const n = ni * nj * nk;
    for (let v = 0; v < n; v++) {
      field[v] = v % ni;
      field[n + v] = Math.floor(v / ni) % nj;
      field[2 * n + v] = Math.floor(v / (ni * nj));
    }
    sourceIjkToRas(field, image.ijkToRas);
    return [0, 1, 2].map((c) => ({ dims: image.dims, ijkToRas: image.ijkToRas, data: field.subarray(c * n, (c + 1) * n) }));
  }
  const path = coordsMapPathFor(source.image);
  if (!existsSync(path)) throw new Error(`--coords oracle: no coordinate map ${path} (anadiff synth writes one per case)`);
  const frames = await Promise.all([0, 1, 2].map((frame) => readNiftiFile(path, { frame })));
  if (frames[0]!.frames !== 3) throw new Error(`${path}: ${frames[0]!.frames} frame(s), expected 3 (x, y, z)`);
  return frames.map((f) => ({ dims: f.dims, ijkToRas: f.ijkToRas, data: f.data instanceof Float32Array ? f.data : Float32Array.from(f.data) }));
}

/** Trains (or resumes: same folder, its own config.json) a pretraining run in `runDir`. */
export async function pretrainRun(config: PretrainRunConfig, runDir: string, hooks: PretrainHooks = {}): Promise<PretrainReport> {
  const started = performance.now();
  return withRunLock(runDir, 'pretrain', () => pretrainRunLocked(config, runDir, hooks, started));
}

async function pretrainRunLocked(config: PretrainRunConfig, runDir: string, hooks: PretrainHooks, started: number): Promise<PretrainReport> {
  const say = openRun(runDir, config, hooks.onMessage);
  const volumes: PretrainVolume[] = [];
  const guidance = config.job.method === 'guided' ? config.job.guidance : undefined;
  if (guidance && guidance.coords !== 'oracle') say(`coordinates from the model ${guidance.coords.model} (sha256 ${guidance.coords.sha256.slice(0, 12)}…), predicted once per CT and cached`);
  for (const s of config.train) volumes.push(await loadPretrainVolume(s, config.spacingMm, guidance, { ...(config.threads ? { threads: config.threads } : {}), ...(hooks.coordsCache ? { coordsCache: hooks.coordsCache } : {}) }));
  const program = pretrainProgramFrom(config.job, volumes);
  say(`${config.name}: ${config.job.method} on ${volumes.length} CT(s) at ${config.spacingMm.join('x')} mm, ${config.job.batch} patch(es) of ${config.job.patch.join('x')} per step, ${config.steps} steps`);
  say(config.job.ema !== undefined
    ? `EMA of the weights, decay ${config.job.ema} (warming up): best/ is taken from it`
    : 'no EMA of the weights (--ema 0, or a run begun before --ema existed): best/ is taken from the weights as trained');

  const clock = new StepClock();
  clock.startCall();
  const onEvent = (event: TrainerEvent): void => {
    if (event.kind === 'log') say(event.message);
    if (event.kind !== 'progress') return;
    const ms = clock.tick(event.ms);
    hooks.onProgress?.({ step: event.step, steps: config.steps, loss: event.loss, etaSec: ((config.steps - event.step) * ms) / 1000 });
  };
  const result: TrainResult = await runTraining(program, {
    runDir, steps: config.steps, checkpointEvery: config.checkpointEvery, seed: config.seed, resume: true,
    config: config as unknown as Json, onEvent, ...(config.threads ? { threads: config.threads } : {}),
    ...(config.provider && config.provider !== 'auto' ? { provider: config.provider } : {}),
    ...(hooks.shouldStop ? { shouldStop: hooks.shouldStop } : {}),
  });
  const stopped = result.stoppedBy === 'cancelled';

  const latest = loadLatestCheckpoint(join(runDir, RUN_FILES.checkpoints));
  const backbone = latest ? writeBackbone(runDir, RUN_FILES.best, config.job, latest, EXPORT_TIMESTEP) : undefined;
  if (stopped) say(`stopped at step ${result.step} (checkpoint written; continue with --resume ${runDir})`);
  const report: PretrainReport = {
    format: 'anadiff-pretrain-report', status: stopped ? 'stopped' : 'done', name: config.name, method: config.job.method,
    step: result.step, steps: config.steps, lastLoss: result.lastLoss ?? latest?.manifest.loss, backbone,
    seconds: Math.round((performance.now() - started) / 100) / 10, msPerStep: clock.msPerStep, provider: result.provider,
  };
  writeJsonAtomic(join(runDir, RUN_FILES.report), report);
  say(`${report.status}: step ${report.step}/${config.steps}, loss ${report.lastLoss?.toFixed(4) ?? '-'}${backbone ? `, backbone ${join(runDir, backbone)}` : ''}`);
  return report;
}

const isDiffusion = (job: PretrainJob): boolean => job.method === 'diffusion' || job.method === 'guided';

/**
 * The backbone of a checkpoint, exported into `runDir/folder` (its one checkpoint, relative path returned): from the
 * EMA when the job keeps one; a denoiser's FiLM folded at `timestep` and, for cond and both, at the null condition.
 */
function writeBackbone(runDir: string, folder: string, job: PretrainJob, latest: LoadedCheckpoint, timestep: number): string {
  const dir = join(runDir, folder);
  mkdirSync(dir, { recursive: true });
  const exported: Json = {
    format: 'anadiff-pretrain-backbone', method: job.method, preset: job.preset, step: latest.manifest.step, input: '[0, 1]',
    weights: job.ema !== undefined ? 'ema' : 'raw', ...(job.ema !== undefined ? { emaDecay: job.ema } : {}),
    ...(isDiffusion(job) ? { filmFoldedAt: timestep } : {}),
    ...(job.guidance && job.method === 'guided' ? { guidance: { ...job.guidance } } : {}),
    // cond and both: the backbone read without coordinates, as probing reads it (foldNullCondition).
    ...(job.method === 'guided' && job.guidance && isConditioned(job.guidance.mode) ? { conditionFoldedAt: 'null (zero coordinates)' } : {}),
  };
  const path = writeCheckpoint(dir, {
    step: latest.manifest.step, tensors: pretrainedBackbone(job, latest.tensors, timestep), rng: latest.manifest.rng,
    graphHash: latest.manifest.graphHash, config: exported, ...(latest.manifest.loss !== undefined ? { loss: latest.manifest.loss } : {}),
  });
  pruneCheckpoints(dir, 1);
  return join(folder, path.slice(dir.length + 1));
}

/**
 * A finished diffusion or guided run's backbone with FiLM folded at `timestep` instead of 0 (`backbone-t<T>/`, the
 * manifest path returned): the features of the clean image with the timestep embedding of t, for compare's sweep of
 * the probing timestep (issue 11: t in {0, 5, 10, 25}, on validation data only).
 */
export function exportBackboneAt(runDir: string, timestep: number): string {
  const config = JSON.parse(readFileSync(join(runDir, RUN_FILES.config), 'utf8')) as PretrainRunConfig;
  if (!isDiffusion(config.job)) throw new Error(`${runDir}: a ${config.job.method} run has no timestep to fold`);
  const latest = loadLatestCheckpoint(join(runDir, RUN_FILES.checkpoints));
  if (!latest) throw new Error(`${runDir}: no checkpoint to export`);
  return join(runDir, writeBackbone(runDir, `backbone-t${timestep}`, config.job, latest, timestep));
}
