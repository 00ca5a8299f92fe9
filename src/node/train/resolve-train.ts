/**
 * From what a person asked for (CLI flags, the protocol runner, train:default) to a fully resolved, frozen
 * TrainRunConfig: every default filled, the patch clamped to the smallest preprocessed training volume.
 */
import { DEFAULT_SLAB_SLICES } from '../../core/data/patch.js';
import { DEFAULT_HU_WINDOW } from '../../core/preprocess/intensity.js';
import { DEFAULT_SPACING_MM } from '../../core/preprocess/resample.js';
import type { CaseSource } from './jobs/job-spec.js';
import type { PreparedCase } from './jobs/segmentation-cases.js';
import { maxThreads } from '../engine/providers.js';
import { BTCV13_NAMES, clampPatch, RunConfigError, strideOf, type TrainMode, type TrainRunConfig } from './run-config.js';
import { prepareCached } from './train-run.js';

export interface TrainRequest {
  readonly train: readonly CaseSource[];
  readonly val: readonly CaseSource[];
  readonly name?: string;
  readonly seed?: number;
  readonly mode?: TrainMode;
  readonly net?: 'fpn3d' | 'unet';
  readonly preset?: 'tiny' | 'small' | 'paper';
  readonly channels?: number;
  readonly head?: 'linear' | 'fpn';
  readonly loss?: 'bce-dice' | 'softmax-ce';
  readonly patch?: readonly [number, number, number];
  readonly batch?: number;
  readonly lr?: number;
  readonly weightDecay?: number;
  readonly warmupSteps?: number;
  readonly epochs?: number;
  readonly stepsPerEpoch?: number;
  readonly unfreezeEpoch?: number;
  readonly checkpointEvery?: number;
  readonly labels?: readonly number[];
  readonly spacingMm?: readonly [number, number, number];
  readonly backbone?: string;
  /** Start every parameter from this checkpoint or exported model (fine-tune an existing model). */
  readonly init?: string;
  readonly overlap?: number;
  readonly validationBatch?: number;
  readonly threads?: number;
  readonly augment?: boolean;
  /** Probability of a thin-slab patch and the slab's slices (min, max) at the training spacing. */
  readonly slabProbability?: number;
  readonly slabSlices?: readonly [number, number];
}

/** Defaults (CPU-sized; the paper's 150 x 300 steps of 7 patches are `--epochs 150 --steps-per-epoch 300 --batch 7`). */
export const TRAIN_DEFAULTS = {
  seed: 0, mode: 'scratch' as TrainMode, net: 'fpn3d' as const, preset: 'small' as const, loss: 'bce-dice' as const,
  patch: [128, 128, 32] as const, batch: 2, lr: 3e-4, weightDecay: 1e-2, warmupSteps: 50, epochs: 10, stepsPerEpoch: 100,
  checkpointEvery: 50, overlap: 0.5, validationBatch: 2, augment: true,
  // A quarter of the patches from slabs of 4..40 slices (12..120 mm at 3 mm): users segment partial scans, and a model
  // that never saw padding above and below the anatomy failed on them (issue 12: 0.03 Dice on a 14-slice slab).
  slabProbability: 0.25, slabSlices: DEFAULT_SLAB_SLICES,
};

const positiveInt = (name: string, v: number): number => {
  if (!Number.isSafeInteger(v) || v < 1) throw new RunConfigError(`${name} must be a positive integer, got ${v}`);
  return v;
};

/**
 * The numeric fields of a request, checked before any case is read (`train --overlap 5` used to fail after the
 * first epoch's training, leaving a run that could not resume). Names are the CLI's flags.
 */
export function checkTrainNumbers(req: Partial<TrainRequest>): void {
  const rule = (flag: string, v: number | undefined, ok: (v: number) => boolean, what: string): void => {
    if (v !== undefined && !(Number.isFinite(v) && ok(v))) throw new RunConfigError(`--${flag} must be ${what}, got ${v}`);
  };
  const int = Number.isSafeInteger;
  rule('lr', req.lr, (v) => v > 0, 'a number > 0');
  rule('weight-decay', req.weightDecay, (v) => v >= 0, 'a number >= 0');
  rule('warmup', req.warmupSteps, (v) => int(v) && v >= 0, 'an integer >= 0 (steps)');
  rule('overlap', req.overlap, (v) => v >= 0 && v < 1, 'in [0, 1) (a fraction of the window)');
  rule('slabs', req.slabProbability, (v) => v >= 0 && v <= 1, 'a probability in [0, 1]');
  if (req.slabSlices !== undefined) {
    const [lo, hi] = req.slabSlices;
    if (!(int(lo) && int(hi) && lo >= 1 && hi >= lo)) throw new RunConfigError(`--slab-slices must be MIN-MAX with 1 <= MIN <= MAX, got ${lo}-${hi}`);
  }
  if (req.backbone !== undefined && req.init !== undefined) {
    throw new RunConfigError('--backbone and --init both give starting weights (--backbone the backbone only, --init every parameter): give one');
  }
  rule('seed', req.seed, (v) => int(v) && v >= 0, 'an integer >= 0');
  const cap = maxThreads();
  rule('threads', req.threads, (v) => int(v) && v >= 1 && v <= cap, `an integer in 1..${cap} (4 per core)`);
  for (const [flag, v] of [['batch', req.batch], ['epochs', req.epochs], ['steps-per-epoch', req.stepsPerEpoch], ['unfreeze-epoch', req.unfreezeEpoch], ['checkpoint-every', req.checkpointEvery], ['channels', req.channels], ['validation-batch', req.validationBatch]] as const) {
    rule(flag, v, (x) => int(x) && x >= 1, 'a positive integer');
  }
}

export async function resolveTrainConfig(req: TrainRequest, cache: Map<string, PreparedCase>): Promise<TrainRunConfig> {
  const d = TRAIN_DEFAULTS;
  checkTrainNumbers(req);
  if (req.train.length === 0) throw new RunConfigError('no training cases');
  const mode = req.mode ?? d.mode;
  if ((mode === 'linear' || mode === 'nonlinear' || mode === 'finetune') && (req.net ?? d.net) !== 'fpn3d') {
    throw new RunConfigError(`--mode ${mode} needs the fpn3d backbone`);
  }
  const labels = req.labels ?? BTCV13_NAMES.map((_, i) => i + 1);
  if (labels.length === 0 || labels.some((l) => !Number.isInteger(l) || l < 1 || l > 255)) throw new RunConfigError(`labels must be integers 1..255, got ${labels.join(',')}`);
  const classNames = labels.map((l) => (l <= BTCV13_NAMES.length && req.labels === undefined ? BTCV13_NAMES[l - 1]! : `class ${l}`));
  const epochs = positiveInt('epochs', req.epochs ?? d.epochs);
  const lr = req.lr ?? d.lr;
  if (!(lr > 0)) throw new RunConfigError(`lr must be positive, got ${lr}`);
  const spacingMm = req.spacingMm ?? DEFAULT_SPACING_MM;
  const draft: TrainRunConfig = {
    format: 'anadiff-train-run', version: 1, name: req.name ?? `${mode}`, seed: req.seed ?? d.seed, mode,
    net: req.net ?? d.net, preset: req.preset ?? d.preset, ...(req.channels !== undefined ? { channels: positiveInt('channels', req.channels) } : {}),
    head: req.head ?? (mode === 'nonlinear' || mode === 'finetune' ? 'fpn' : 'linear'), loss: req.loss ?? d.loss,
    patch: [...(req.patch ?? d.patch)] as [number, number, number], batch: positiveInt('batch', req.batch ?? d.batch), lr,
    weightDecay: req.weightDecay ?? d.weightDecay, warmupSteps: req.warmupSteps ?? d.warmupSteps, epochs,
    stepsPerEpoch: positiveInt('steps per epoch', req.stepsPerEpoch ?? d.stepsPerEpoch),
    unfreezeEpoch: req.unfreezeEpoch ?? Math.max(1, Math.ceil(epochs / 3)),
    checkpointEvery: positiveInt('checkpoint every', req.checkpointEvery ?? d.checkpointEvery),
    labels, classNames, spacingMm, huWindow: DEFAULT_HU_WINDOW, train: req.train, val: req.val,
    ...(req.backbone !== undefined ? { backbone: req.backbone } : {}),
    ...(req.init !== undefined ? { init: req.init } : {}),
    validation: { overlap: req.overlap ?? d.overlap, batch: positiveInt('validation batch', req.validationBatch ?? d.validationBatch) },
    ...(req.threads !== undefined ? { threads: positiveInt('threads', req.threads) } : {}),
    augment: req.augment ?? d.augment,
    slabs: { probability: req.slabProbability ?? d.slabProbability, slices: [...(req.slabSlices ?? d.slabSlices)] as [number, number] },
  };
  // The patch must fit the smallest training volume (padding a whole axis wastes compute) and the net's stride.
  const smallest: [number, number, number] = [Infinity, Infinity, Infinity];
  for (const source of draft.train) {
    const c = await prepareCached(source, labels, spacingMm, cache);
    c.volume.dims.forEach((n, a) => { smallest[a] = Math.min(smallest[a]!, n); });
  }
  return Object.freeze({ ...draft, patch: clampPatch(draft.patch, smallest, strideOf(draft)) });
}
