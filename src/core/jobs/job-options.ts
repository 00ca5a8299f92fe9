/**
 * The options of the jobs that write run folders (`train`, `pretrain`, `coords train`), one table per job: the home of
 * both the command line's flags (parseArgs is built from it) and the job config files' JSON schema
 * (`*.anadiff-<job>.json`, job-schema.ts), so a flag and its config key cannot drift apart. The commands still check
 * every value (ranges, combinations); the kinds here say what a value looks like, so the editor can complete and
 * flag a config before it runs.
 */

/** How an option's value is written in a config file (the command line always takes a string or a bare flag). */
export type JobOptionKind =
  | { readonly kind: 'flag' } // a bare flag: true in a config
  | { readonly kind: 'integer'; readonly minimum: number }
  | { readonly kind: 'number'; readonly minimum?: number; readonly maximum?: number; readonly exclusiveMinimum?: number; readonly exclusiveMaximum?: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'path'; readonly keywords?: readonly string[] } // a file or folder, relative to the config file's folder (a keyword stays as it is)
  | { readonly kind: 'paths' } // a repeated path flag: an array
  | { readonly kind: 'size' } // voxels: [i, j, k] integers >= 1 (the command line's IxJxK)
  | { readonly kind: 'spacing' } // mm: [x, y, z] numbers > 0 (the command line's XxYxZ)
  | { readonly kind: 'integers'; readonly length?: number } // comma-separated on the command line: an array
  | { readonly kind: 'text'; readonly pattern?: string };

export type JobOption = JobOptionKind & { readonly description: string };
export type JobOptions = Readonly<Record<string, JobOption>>;

/** The jobs that take `--config FILE`, each with its file suffix (`<name>.anadiff-<suffix>.json`). */
export const CONFIG_JOBS = ['train', 'pretrain', 'coords train'] as const;
export type ConfigJob = (typeof CONFIG_JOBS)[number];

const DEVICE = { kind: 'enum', values: ['auto', 'cpu', 'cuda'], description: 'execution provider: auto (CUDA when its providers are installed), cpu or cuda' } as const satisfies JobOption;
const THREADS = { kind: 'integer', minimum: 1, description: 'CPU threads of the training session' } as const satisfies JobOption;
const SEED = { kind: 'integer', minimum: 0, description: 'seed of every random draw (patches, augmentation, initial weights)' } as const satisfies JobOption;
const NAME = { kind: 'text', description: 'the run\'s name (its folder is .anadiff/runs/<time>-<name>)' } as const satisfies JobOption;
const RUN_DIR = { kind: 'path', description: 'the run folder to create (default .anadiff/runs/<time>-<name>)' } as const satisfies JobOption;
const CHECKPOINT_EVERY = { kind: 'integer', minimum: 1, description: 'steps between checkpoints' } as const satisfies JobOption;
const PHANTOM = { kind: 'flag', description: 'the built-in CT phantom (seed 1 trains, seed 2 validates): a quick demo' } as const satisfies JobOption;
const LR = { kind: 'number', exclusiveMinimum: 0, description: 'peak learning rate (AdamW)' } as const satisfies JobOption;
const NO_AUGMENT = { kind: 'flag', description: 'train on raw patches, without augmentation' } as const satisfies JobOption;
const PRESET = { kind: 'enum', values: ['tiny', 'small', 'paper'], description: 'network size (paper: 16 channels x 6 levels, for a GPU)' } as const satisfies JobOption;

const TRAIN = {
  data: { kind: 'path', description: 'BTCV (img/ + label/), MSD (imagesTr/ + labelsTr/) or X_ct/X_seg pairs; the last `val` cases validate' },
  val: { kind: 'integer', minimum: 0, description: 'validation cases held out of `data` (0: no validation)' },
  image: { kind: 'path', description: 'one training CT (with `label`)' },
  label: { kind: 'path', description: 'the label map of `image`' },
  'val-image': { kind: 'path', description: 'a validation CT (with `val-label`)' },
  'val-label': { kind: 'path', description: 'the label map of `val-image`' },
  phantom: PHANTOM,
  labels: { kind: 'integers', description: 'label values learned as classes 1..n (default 1..13, the BTCV organs)' },
  spacing: { kind: 'spacing', description: 'target spacing in mm' },
  mode: { kind: 'enum', values: ['scratch', 'linear', 'nonlinear', 'finetune'], description: 'scratch, probing a frozen backbone (linear/nonlinear), or finetune' },
  backbone: { kind: 'path', description: 'the backbone to start from: a pretraining run folder or a checkpoint .json' },
  init: { kind: 'path', description: 'start every parameter from an exported model (.onnx), a run folder or a checkpoint' },
  net: { kind: 'enum', values: ['fpn3d', 'unet'], description: 'network' },
  preset: PRESET,
  channels: { kind: 'integer', minimum: 1, description: 'base channels (overrides the preset\'s)' },
  head: { kind: 'enum', values: ['linear', 'fpn'], description: 'segmentation head' },
  loss: { kind: 'enum', values: ['bce-dice', 'softmax-ce'], description: 'BCE + soft Dice on sigmoid channels, or softmax CE + Dice' },
  patch: { kind: 'size', description: 'patch in voxels, clamped to the smallest volume' },
  batch: { kind: 'integer', minimum: 1, description: 'patches per step' },
  lr: LR,
  'weight-decay': { kind: 'number', minimum: 0, description: 'AdamW weight decay' },
  warmup: { kind: 'integer', minimum: 0, description: 'linear warm-up steps' },
  epochs: { kind: 'integer', minimum: 1, description: 'epochs' },
  'steps-per-epoch': { kind: 'integer', minimum: 1, description: 'optimizer steps per epoch' },
  'unfreeze-epoch': { kind: 'integer', minimum: 1, description: 'finetune: the epoch the backbone unfreezes (default epochs/3)' },
  seed: SEED,
  'checkpoint-every': CHECKPOINT_EVERY,
  overlap: { kind: 'number', minimum: 0, exclusiveMaximum: 1, description: 'validation sliding-window overlap' },
  threads: THREADS,
  device: DEVICE,
  'no-augment': NO_AUGMENT,
  slabs: { kind: 'number', minimum: 0, maximum: 1, description: 'share of patches cut from a thin slab of the case (0: off)' },
  'slab-slices': { kind: 'text', pattern: '^\\d+-\\d+$', description: 'slab lengths MIN-MAX in slices at `spacing`, e.g. 4-40' },
  name: NAME,
  'run-dir': RUN_DIR,
} as const satisfies JobOptions;

const PRETRAIN = {
  method: { kind: 'enum', values: ['diffusion', 'guided', 'genesis', 'contrastive'], description: 'pretraining method' },
  phantom: { kind: 'flag', description: 'the built-in phantom (its validation seed stays unseen)' },
  data: { kind: 'path', description: 'every CT NIfTI under the folder, recursively (label maps, MRI and 4-D files are skipped)' },
  spacing: { kind: 'spacing', description: 'target spacing in mm' },
  preset: PRESET,
  patch: { kind: 'size', description: 'patch in voxels, multiples of 4 (tiny) or 8 (small, paper)' },
  batch: { kind: 'integer', minimum: 1, description: 'patches (contrastive: crop pairs) per step' },
  steps: { kind: 'integer', minimum: 1, description: 'optimizer steps' },
  lr: LR,
  seed: SEED,
  'checkpoint-every': CHECKPOINT_EVERY,
  threads: THREADS,
  device: DEVICE,
  positives: { kind: 'integer', minimum: 1, description: 'contrastive: shared body voxels per crop pair' },
  guidance: { kind: 'enum', values: ['aux', 'cond', 'both'], description: 'guided: an auxiliary coordinate head, coordinates as input channels, or both' },
  'guidance-weight': { kind: 'number', minimum: 0, description: 'guided aux/both: the coordinate loss\'s weight' },
  coords: { kind: 'path', keywords: ['oracle'], description: 'guided: where the coordinates come from: oracle (the generator\'s exact ones, beside each synth case) or a coordinate model (a `coords train` run folder or its model.onnx)' },
  ema: { kind: 'number', minimum: 0, exclusiveMaximum: 1, description: 'EMA decay of the weights (0: off)' },
  name: NAME,
  'run-dir': RUN_DIR,
} as const satisfies JobOptions;

const COORDS_TRAIN = {
  phantom: PHANTOM,
  data: { kind: 'path', description: 'every CT NIfTI under the folder, recursively; the last `val` files validate' },
  val: { kind: 'integer', minimum: 0, description: 'validation CTs held out of `data`' },
  image: { kind: 'paths', description: 'training CTs' },
  'val-image': { kind: 'paths', description: 'validation CTs' },
  preset: PRESET,
  channels: { kind: 'integer', minimum: 1, description: 'base channels (overrides the preset\'s)' },
  pairs: { kind: 'integer', minimum: 1, description: 'crop pairs of one CT per step' },
  patch: { kind: 'size', description: 'crop size in voxels, multiples of the network\'s stride' },
  slots: { kind: 'integers', length: 2, description: '[body, background] voxels sampled per view' },
  steps: { kind: 'integer', minimum: 1, description: 'optimizer steps' },
  lr: LR,
  'warmup-frac': { kind: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'share of the steps spent warming up (one-cycle)' },
  seed: SEED,
  'validate-every': { kind: 'integer', minimum: 1, description: 'steps between validations' },
  'checkpoint-every': CHECKPOINT_EVERY,
  threads: THREADS,
  device: DEVICE,
  'no-augment': { kind: 'flag', description: 'raw crops, without APE\'s augmentation' },
  name: NAME,
  'run-dir': RUN_DIR,
} as const satisfies JobOptions;

export const JOB_OPTIONS = { train: TRAIN, pretrain: PRETRAIN, 'coords train': COORDS_TRAIN } as const satisfies Record<ConfigJob, JobOptions>;

/**
 * Each job's data options: they choose the data together (one of phantom, data, image...), so a command line that
 * names any of them replaces all of the config's.
 */
export const CONFIG_DATA_OPTIONS: Readonly<Record<ConfigJob, readonly string[]>> = {
  train: ['phantom', 'data', 'val', 'image', 'label', 'val-image', 'val-label'],
  pretrain: ['phantom', 'data'],
  'coords train': ['phantom', 'data', 'val', 'image', 'val-image'],
};

/** A job's one-word tag in file names: train, pretrain, coords. */
export function jobTag(job: ConfigJob): string {
  return job === 'coords train' ? 'coords' : job;
}

/** A config file's suffix for a job: `<name>.anadiff-train.json`, `.anadiff-pretrain.json`, `.anadiff-coords.json`. */
export function configSuffix(job: ConfigJob): string {
  return `.anadiff-${jobTag(job)}.json`;
}

/** node:util parseArgs's option for one job option: a bare flag is boolean, a repeated path flag `multiple`. */
type ParseArgsOption<O> = O extends { kind: 'flag' } ? { type: 'boolean' } : O extends { kind: 'paths' } ? { type: 'string'; multiple: true } : { type: 'string' };
export type ParseArgsOptions<T> = { -readonly [K in keyof T]: ParseArgsOption<T[K]> };

/** node:util parseArgs's options for a job's table (typed per option, so parsed values keep their types). */
export function parseArgsOptions<T extends JobOptions>(options: T): ParseArgsOptions<T> {
  return Object.fromEntries(Object.entries(options).map(([name, o]) => [name, o.kind === 'flag' ? { type: 'boolean' } : o.kind === 'paths' ? { type: 'string', multiple: true } : { type: 'string' }])) as ParseArgsOptions<T>;
}
