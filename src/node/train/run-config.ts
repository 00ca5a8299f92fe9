/**
 * A training run's fully resolved configuration: what config.json holds and what `--resume` reads back. Built once
 * from CLI options with every default filled, then frozen; `jobOf` turns it into the engine's SegmentationJob.
 */
import type { Json } from '../../core/checkpoint/manifest.js';
import { spatialMultiple } from '../../core/nn/networks.js';
import type { CaseSource, SegmentationJob } from './jobs/job-spec.js';
import { networkConfigOf } from './jobs/segmentation.js';

export type TrainMode = 'scratch' | 'linear' | 'nonlinear' | 'finetune';
export const TRAIN_MODES: readonly TrainMode[] = ['scratch', 'linear', 'nonlinear', 'finetune'];

/** BTCV-13 organ names, label values 1..13 (shared with segment's model metadata). */
export { BTCV13_NAMES } from '../../core/btcv.js';

export interface TrainRunConfig {
  readonly format: 'anadiff-train-run';
  readonly version: 1;
  readonly name: string;
  readonly seed: number;
  readonly mode: TrainMode;
  readonly net: 'fpn3d' | 'unet';
  readonly preset: 'tiny' | 'small' | 'paper';
  readonly channels?: number;
  readonly head: 'linear' | 'fpn';
  readonly loss: 'bce-dice' | 'softmax-ce';
  /** Patch in voxels along i, j, k after clamping to the smallest training volume (multiple of the net's stride). */
  readonly patch: readonly [number, number, number];
  /** Patches per step (all from one case). */
  readonly batch: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly warmupSteps: number;
  readonly epochs: number;
  readonly stepsPerEpoch: number;
  /** finetune: the backbone trains from this epoch on (before it, it is frozen). */
  readonly unfreezeEpoch: number;
  readonly checkpointEvery: number;
  /** Source label values learned as classes 1..n, and their names. */
  readonly labels: readonly number[];
  readonly classNames: readonly string[];
  readonly spacingMm: readonly [number, number, number];
  readonly huWindow: readonly [number, number];
  readonly train: readonly CaseSource[];
  readonly val: readonly CaseSource[];
  /** Checkpoint manifest whose `backbone.` parameters start the run. */
  readonly backbone?: string;
  /** Checkpoint manifest or exported model (.onnx) whose parameters (backbone and head) all start the run. */
  readonly init?: string;
  readonly validation: { readonly overlap: number; readonly batch: number };
  readonly threads?: number;
  /** Augment training patches (absent in configs written before it existed: off). */
  readonly augment?: boolean;
  /** Thin-scan patches (absent in configs written before them: none). */
  readonly slabs?: { readonly probability: number; readonly slices: readonly [number, number] };
}

export class RunConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunConfigError';
  }
}

/** Which phase a step runs in: probing and the first finetune epochs keep the backbone frozen. */
export function frozenAtEpoch(config: TrainRunConfig, epoch: number): boolean {
  if (config.mode === 'linear' || config.mode === 'nonlinear') return true;
  if (config.mode === 'finetune') return epoch < config.unfreezeEpoch;
  return false;
}

/** The engine job of one phase (frozen or not); everything else is the same in both. */
export function jobOf(config: TrainRunConfig, frozen: boolean): SegmentationJob {
  return {
    kind: 'segmentation', net: config.net, preset: config.preset,
    ...(config.channels !== undefined ? { channels: config.channels } : {}),
    ...(config.net === 'fpn3d' ? { head: config.head } : {}),
    patch: [...config.patch] as [number, number, number], batch: config.batch, loss: config.loss,
    optimizer: { rule: 'adamw', weightDecay: config.weightDecay, maxGradNorm: 1 },
    schedule: {
      kind: 'warmup-cosine', baseLr: config.lr, warmupSteps: Math.min(config.warmupSteps, config.epochs * config.stepsPerEpoch - 1),
      totalSteps: config.epochs * config.stepsPerEpoch, minLr: config.lr * 0.01,
    },
    data: { kind: 'cases', cases: config.train, spacingMm: config.spacingMm },
    labels: config.labels,
    ...(config.augment ? { augment: true } : {}),
    ...(config.slabs && config.slabs.probability > 0 ? { slabProbability: config.slabs.probability, slabSlices: config.slabs.slices } : {}),
    ...(frozen ? { freeze: ['backbone.'] } : {}),
    ...(config.backbone ? { init: { checkpoint: config.backbone, prefix: 'backbone.' } } : {}),
    ...(config.init ? { init: { checkpoint: config.init, prefix: '' } } : {}),
  };
}

/** Rounds each requested patch axis down to the volume (never below one stride) and to a multiple of the stride. */
export function clampPatch(requested: readonly [number, number, number], smallestDims: readonly [number, number, number], stride: number): [number, number, number] {
  return requested.map((p, a) => {
    const fit = Math.min(p, smallestDims[a]!);
    return Math.max(stride, Math.floor(fit / stride) * stride);
  }) as [number, number, number];
}

/** The network's spatial stride (patch sizes must be multiples of it). */
export function strideOf(config: TrainRunConfig): number {
  return spatialMultiple(networkConfigOf(jobOf(config, false), 1));
}

/** Reads config.json back (resume): checks the format marker and the fields the loop needs. */
export function parseRunConfig(value: unknown, where: string): TrainRunConfig {
  const v = value as Partial<TrainRunConfig> | null;
  if (!v || typeof v !== 'object' || v.format !== 'anadiff-train-run') throw new RunConfigError(`${where}: not an anadiff training run config (format "anadiff-train-run")`);
  for (const key of ['seed', 'epochs', 'stepsPerEpoch', 'lr', 'batch'] as const) {
    if (typeof v[key] !== 'number') throw new RunConfigError(`${where}: "${key}" must be a number`);
  }
  if (!Array.isArray(v.train) || v.train.length === 0) throw new RunConfigError(`${where}: "train" must list at least one case`);
  if (!Array.isArray(v.patch) || v.patch.length !== 3) throw new RunConfigError(`${where}: "patch" must be [i, j, k]`);
  return Object.freeze(v as TrainRunConfig);
}

export const configJson = (config: TrainRunConfig): Json => config as unknown as Json;
