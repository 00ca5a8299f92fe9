/**
 * Messages between a host (the extension or the CLI) and the engine worker (a worker thread or a child process).
 * Every request carries an `id`; the worker answers each with exactly one `reply` carrying a result or an error.
 * Events (`progress`, `checkpoint`, `log`) name the request they belong to. Dispatch with exhaustive switches.
 * Only plain data crosses: JSON-able values and typed arrays (structured clone).
 */

import type { Schedule } from '../core/optim/schedules.js';

/** The training job to build inside the worker; add a kind here and in node/engine/jobs/index.ts. */
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
  /** A NIfTI image and its label map on the same grid (paths on the worker's machine). */
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

export type ProviderChoice = 'auto' | 'cpu' | 'cuda';

export interface TrainRequestParams {
  readonly job: JobSpec;
  /** Folder for config.json, metrics.jsonl, checkpoints/ and model.onnx. */
  readonly runDir: string;
  /** Total optimizer steps of the run (a resumed run continues up to this). */
  readonly steps: number;
  /** Write a checkpoint every this many steps (and always at the end). */
  readonly checkpointEvery: number;
  /** Checkpoints kept on disk (newest first); default 3. */
  readonly keepCheckpoints?: number;
  readonly seed: number;
  /** Continue from the newest checkpoint in runDir when there is one. */
  readonly resume: boolean;
  readonly provider?: ProviderChoice;
  /** Intra-op threads; default: every core. */
  readonly threads?: number;
  /** onnxruntime's CPU memory arena (default on for training: 1.7x faster steps on the 2-core VM; see providers.ts). */
  readonly memArena?: boolean;
  /** Write runDir/model.onnx (weights as initializers) when the run finishes. */
  readonly exportOnnx?: boolean;
}

export interface TrainResult {
  /** Steps completed (including those before a resume). */
  readonly step: number;
  readonly stoppedBy: 'done' | 'cancelled';
  readonly lastLoss: number | undefined;
  /** Step the run resumed from, 0 for a fresh run. */
  readonly resumedFrom: number;
  readonly provider: 'cpu' | 'cuda';
  readonly modelPath?: string;
}

export interface ProbeResult {
  readonly onnxruntimeVersion: string;
  readonly backends: readonly { readonly name: string; readonly bundled: boolean }[];
  readonly threads: number;
}

/** Host -> worker requests, by type: what each takes and what its reply's result is. */
export interface EngineRequests {
  /** Build the job's step graph and train; progress events follow; resolves when done or cancelled. */
  train: { params: TrainRequestParams; result: TrainResult };
  /** Ask a running `train` (by its request id) to stop after the current step, writing a checkpoint. */
  cancel: { params: { readonly trainId: number }; result: { readonly wasRunning: boolean } };
  /** What the worker's onnxruntime sees (versions, backends, threads). */
  probe: { params: Record<string, never>; result: ProbeResult };
  /** Finish: the worker replies, then exits. A running train is cancelled first. */
  shutdown: { params: Record<string, never>; result: { readonly ok: true } };
}

export type EngineRequestType = keyof EngineRequests;

export type EngineRequest = {
  [K in EngineRequestType]: { readonly kind: 'request'; readonly id: number; readonly type: K; readonly params: EngineRequests[K]['params'] };
}[EngineRequestType];

export interface EngineErrorInfo {
  /** The error's class name, e.g. CheckpointError. */
  readonly name: string;
  readonly message: string;
}

export type EngineReply =
  | { readonly kind: 'reply'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: false; readonly error: EngineErrorInfo };

/** One finished training step. */
export interface ProgressEvent {
  readonly kind: 'progress';
  readonly requestId: number;
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
  readonly lr?: number;
  /** Wall time of session.run for this step. */
  readonly ms: number;
}

export interface CheckpointEvent {
  readonly kind: 'checkpoint';
  readonly requestId: number;
  readonly step: number;
  readonly manifestPath: string;
}

/** Something a person should read: e.g. why CUDA was not used. */
export interface LogEvent {
  readonly kind: 'log';
  readonly requestId: number;
  readonly level: 'info' | 'warn';
  readonly message: string;
}

export type TrainerEvent = ProgressEvent | CheckpointEvent | LogEvent;

/** Everything the worker sends. `ready` is sent once, before any reply. */
export type WorkerMessage = EngineReply | TrainerEvent | { readonly kind: 'ready'; readonly pid: number };
