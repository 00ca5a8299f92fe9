/**
 * The segmentation training jobs as plain data: what `anadiff train` resolves its flags into, what a run's
 * config.json stores (so a resume rebuilds the same graph) and what buildStepProgram (jobs/index.ts) turns into a
 * step program. JSON-able values only.
 */
import type { Schedule } from '../../../core/optim/schedules.js';

/** A training job; add a kind here and in jobs/index.ts (buildStepProgram). */
export type JobSpec =
  | {
      /** Built-in smoke job: linear regression with momentum SGD (hand-written ONNX). */
      readonly kind: 'toy-linear';
      readonly features?: number;
      readonly batch?: number;
      readonly lr?: number;
      readonly momentum?: number;
    }
  | SegmentationJob;

/**
 * Train a 3-D segmentation network (UNet, or FPN3d backbone + head) on patches of one labelled volume. Steps are
 * 1-based; the schedule is evaluated at step - 1 (core/optim/schedules.ts). The run's `seed` drives weight init
 * (stream 0) and patch sampling (stream 1).
 */
export interface SegmentationJob {
  readonly kind: 'segmentation';
  readonly net: 'unet' | 'fpn3d';
  readonly preset: 'tiny' | 'small' | 'paper';
  /** Base channel width instead of the preset's. */
  readonly channels?: number;
  /** fpn3d only: the head on the pyramid (default 'linear'). */
  readonly head?: 'linear' | 'fpn';
  /**
   * Patch size in voxels along i, j, k (i fastest, as NIfTI stores it); the network sees [D, H, W] = [k, j, i].
   * Each must be a multiple of the network's downsampling (4 for unet, 2^(levels-1) for fpn3d).
   */
  readonly patch: readonly [number, number, number];
  /** Patches per step (default 1). */
  readonly batch?: number;
  /** softmax-ce: background + one channel per class; bce-dice: one sigmoid channel per class, body-masked. */
  readonly loss: 'softmax-ce' | 'bce-dice';
  readonly optimizer: OptimizerSpec;
  readonly schedule: Schedule;
  readonly data: SegmentationData;
  /** Label values of the source to learn, as classes 1..n in this order; other values are background. Default: every non-zero value present, ascending. */
  readonly labels?: readonly number[];
  /** Intensity window clipped and scaled to [0, 1] (default vox2vec's CT window [-1350, 1000] HU). */
  readonly window?: readonly [number, number];
  /** Probability of drawing a patch around a voxel of a random present class (default 0.5; else uniform). */
  readonly classProbability?: number;
  /**
   * On-the-fly augmentation of every training patch (core/data/augment.ts DEFAULT_AUGMENT: small rotations and zoom,
   * intensity and contrast jitter, noise, blur; no mirroring). Default off, so a job's batches are the raw patches.
   */
  readonly augment?: boolean;
  /** Thin-scan training: the probability that a patch comes from a slab of `slabSlices` slices (core/data/patch.ts; default 0). */
  readonly slabProbability?: number;
  readonly slabSlices?: readonly [number, number];
  /** Parameter-name prefixes left untrained (probing: ['backbone.']); nets' frozen optimizer groups. */
  readonly freeze?: readonly string[];
  /** Start the parameters under `prefix` from a checkpoint manifest (a pretrained or earlier backbone); shapes must match. */
  readonly init?: { readonly checkpoint: string; readonly prefix: string };
}

/** One labelled case of a `cases` data set: a NIfTI pair, or the phantom (demos and tests). */
export type CaseSource =
  | { readonly id: string; readonly image: string; readonly labels: string }
  | { readonly id: string; readonly phantom: { readonly size?: 'small' | 'large'; readonly seed?: number } };

export type SegmentationData =
  /** The generated abdominal CT phantom (core/phantom): BTCV-13 labels. */
  | { readonly kind: 'phantom'; readonly size?: 'small' | 'large'; readonly seed?: number }
  /** A NIfTI image and its label map on the same grid (paths on the training machine). */
  | { readonly kind: 'nifti'; readonly image: string; readonly labels: string }
  /**
   * Several cases, each preprocessed with vox2vec's protocol (core/preprocess: RAS, body crop, resampling to
   * `spacingMm` (default 1x1x2), HU window to [0, 1], flood-filled body mask). Each step draws its patches from one
   * case chosen uniformly (as vox2vec: all patches of a step from one image).
   */
  | { readonly kind: 'cases'; readonly cases: readonly CaseSource[]; readonly spacingMm?: readonly [number, number, number] };

/** Optimizer as plain data; defaults are PyTorch's (AdamW weight decay 1e-2, SGD momentum 0.9). */
export type OptimizerSpec = (
  | { readonly rule: 'adamw'; readonly beta1?: number; readonly beta2?: number; readonly eps?: number; readonly weightDecay?: number }
  | { readonly rule: 'sgd'; readonly momentum?: number; readonly weightDecay?: number; readonly nesterov?: boolean }
) & {
  /** Global-norm gradient clipping (PyTorch clip_grad_norm_). */
  readonly maxGradNorm?: number;
};
