/**
 * Pretraining jobs (issue 11, `anadiff pretrain`): PretrainJob (plain data) -> core's diffusion or Genesis step graph
 * -> the runtime's StepProgram, trained by the same runTraining as segmentation (run folder, checkpoints, exact resume).
 * A step draws `batch` patches, each from a CT chosen uniformly and a start uniform over the patch positions inside it
 * (the data stream); then, from the same stream:
 *   diffusion  t uniform over 0..T-1 and the noise (diffusionBatch), on the patch mapped to [-1, 1]
 *   guided     as diffusion, plus the same boxes of the CT's coordinate maps and body mask (no extra draw); cond and
 *              both then draw each sample's condition dropout
 *   genesis    the Models Genesis corruption of the patch (genesisSample): input and reconstruction target
 * The contrastive step (vox2vec) draws its own data: one CT chosen uniformly, then `batch` crop pairs of `patch` voxels
 * from it with up to `positives` shared body voxels each (core/pretrain/contrastive.ts).
 * `pretrainedBackbone` turns a step graph's checkpoint into the plain FPN3d backbone a segmenter loads (`backbone.*`).
 */
import type { NamedTensor } from '../../../core/checkpoint/safetensors.js';
import { extractBox, sampleStart } from '../../../core/data/patch.js';
import { foldInputRange, foldNullCondition, foldTimestep } from '../../../core/diffusion/fold-film.js';
import { diffusionPresetConfig, type DiffusionNetConfig } from '../../../core/diffusion/network.js';
import { noiseSchedule, noiseScheduleConfig, type NoiseScheduleConfig } from '../../../core/diffusion/schedule.js';
import { buildDiffusionTrainStep, diffusionBatch, toDiffusionRange } from '../../../core/diffusion/train-step.js';
import { buildGuidedTrainStep, CONDITION_DROPOUT, COORD_CHANNELS, drawConditionKeep, GUIDED_INPUTS, hasAuxHead, isConditioned } from '../../../core/diffusion/guided-step.js';
import type { Fpn3dSegmenterConfig, SizePreset } from '../../../core/nn/networks.js';
import { toOnnxModel } from '../../../core/onnx/index.js';
import { averagedWeights } from '../../../core/optim/ema.js';
import { HYPER } from '../../../core/optim/optimizer.js';
import type { Schedule } from '../../../core/optim/schedules.js';
import { buildGenesisTrainStep, GENESIS_INPUTS, genesisNetConfig } from '../../../core/pretrain/genesis-step.js';
import { genesisSample } from '../../../core/pretrain/genesis.js';
import { sampleContrastiveBatch, VOX2VEC_POSITIVES } from '../../../core/pretrain/contrastive.js';
import { buildContrastiveTrainStep, CONTRASTIVE_INPUTS, contrastiveNetConfig } from '../../../core/pretrain/contrastive-step.js';
import type { Fpn3dConfig } from '../../../core/nn/fpn3d.js';
import type { Dims } from '../../../core/preprocess/grid.js';
import { nextInt, type Rng } from '../../../core/random/rng.js';
import { initialTrainState, type TrainStepGraph } from '../../../core/train/step.js';
import type { OptimizerSpec } from './job-spec.js';
import { carriedStates, type StepProgram } from '../../engine/step-program.js';
import { optimizerConfigOf } from './segmentation.js';
import { withHyperInputs } from './hyper.js';
import { JobError } from './segmentation-data.js';

export const PRETRAIN_METHODS = ['diffusion', 'guided', 'genesis', 'contrastive'] as const;
export type PretrainMethod = (typeof PRETRAIN_METHODS)[number];

/**
 * Where guided pretraining's coordinates come from. `oracle`: the generator's exact coordinates `anadiff synth` writes
 * next to each case (`<case>_coords.nii.gz`); for the phantom, which is its own atlas, each voxel's own RAS position.
 * `model`: a body-part coordinate model (`anadiff coords train`'s model.onnx, with model.json beside it) predicts them
 * for every CT once (cached by CT and model content); `sha256` is the model file's, so a resume or a cached map can
 * never mix two models.
 */
export type CoordsSource = 'oracle' | { readonly model: string; readonly sha256: string };

/**
 * Guided diffusion's coordinates (issue 11, guided-step.ts): `aux` regresses them from the backbone's features of x_t
 * with weight `weight`; `cond` feeds them to the network as 3 more input channels, each sample dropped to the null
 * condition with probability `conditionDropout`; `both` does the two.
 */
export type GuidanceConfig =
  | { readonly mode: 'aux'; readonly weight: number; readonly coords: CoordsSource }
  | { readonly mode: 'cond'; readonly conditionDropout: number; readonly coords: CoordsSource }
  | { readonly mode: 'both'; readonly weight: number; readonly conditionDropout: number; readonly coords: CoordsSource };

/** A guidance mode: the weight where the mode has the aux head, dropout 0.1 where it conditions; the generator's coordinates unless `coords` says otherwise. */
export function guidanceConfig(mode: GuidanceConfig['mode'], weight: number, coords: CoordsSource = 'oracle'): GuidanceConfig {
  if (mode === 'aux') return { mode, weight, coords };
  if (mode === 'cond') return { mode, conditionDropout: CONDITION_DROPOUT, coords };
  return { mode, weight, conditionDropout: CONDITION_DROPOUT, coords };
}

/** The EMA decay diffusion and guided get unless told otherwise (`--ema`); the other methods get none by default. */
export const DEFAULT_EMA = 0.999;
export const defaultEma = (method: PretrainMethod): number | undefined => (method === 'diffusion' || method === 'guided' ? DEFAULT_EMA : undefined);

export interface PretrainJob {
  readonly kind: 'pretrain';
  readonly method: PretrainMethod;
  /** The segmenter's FPN3d preset: the backbone `train --preset` builds, so the checkpoint fits it. */
  readonly preset: SizePreset;
  /** Patch size (i, j, k voxels), multiples of the backbone's downsampling. */
  readonly patch: readonly [number, number, number];
  readonly batch: number;
  /** Diffusion and guided: the noise schedule (default T = 1000, linear 1e-4..0.02). */
  readonly noise?: NoiseScheduleConfig;
  /** Contrastive only: positive voxels per crop pair (default 1024, vox2vec); `batch` is the crop pairs per step. */
  readonly positives?: number;
  /** Guided only (required there). */
  readonly guidance?: GuidanceConfig;
  readonly optimizer: OptimizerSpec;
  readonly schedule: Schedule;
  /**
   * Decay of the weights' EMA (core/optim/ema.ts: in the step graph, kept in checkpoints), in (0, 1); the backbone in
   * best/ is taken from it. Absent: no EMA, best/ from the weights as trained (every run written before --ema).
   */
  readonly ema?: number;
}

/** A preprocessed CT as pretraining reads it: intensities in [0, 1] on the training grid, i fastest. */
export interface PretrainVolume {
  readonly dims: Dims;
  readonly image: Float32Array;
  /** 1 inside the body (the preprocessing's mask): where the contrastive job draws its positives and the guided
   *  coordinate loss counts (both need it). */
  readonly body?: Uint8Array;
  /** Millimetres per voxel of the training grid along i, j, k (contrastive: needed). */
  readonly spacingMm?: readonly [number, number, number];
  /** Guided: standardised body-part coordinates on the same grid, 3 x voxels channel-major (standardiseCoords). */
  readonly coords?: Float32Array;
}

/** AdamW with gradient clipping at norm 1, the optimiser every method shares (issue 11: same optimizer for all arms). */
export const PRETRAIN_OPTIMIZER: OptimizerSpec = { rule: 'adamw', weightDecay: 1e-6, maxGradNorm: 1 };

/** The denoiser of diffusion and guided jobs; guided cond and both take the coordinates as extra input channels. */
export function diffusionNetOf(job: PretrainJob): DiffusionNetConfig {
  const conditioned = job.method === 'guided' && job.guidance !== undefined && isConditioned(job.guidance.mode);
  return conditioned ? diffusionPresetConfig(job.preset, { inChannels: 1 + COORD_CHANNELS }) : diffusionPresetConfig(job.preset);
}

export function genesisNetOf(job: PretrainJob): Fpn3dSegmenterConfig {
  return genesisNetConfig(job.preset);
}

export function contrastiveNetOf(job: PretrainJob): Fpn3dConfig {
  return contrastiveNetConfig(job.preset);
}

const tensor = (shape: readonly number[], data: Float32Array): NamedTensor => ({ dtype: 'F32', shape, data });

/** One step's patches: images [B, 1, ...]; guided only: coordinates [B, 3, ...] and body mask [B, 1, ...] (else empty). */
export interface PretrainBatch {
  readonly image: Float32Array;
  readonly coords: Float32Array;
  readonly mask: Float32Array;
}

/** `batch` patches back to back, each from a CT chosen uniformly (no draw with one CT) at a uniform start. */
export function drawPretrainPatches(rng: Rng, volumes: readonly PretrainVolume[], patch: readonly [number, number, number], batch: number): Float32Array {
  return drawPretrainBatch(rng, volumes, patch, batch, false).image;
}

/**
 * drawPretrainPatches with, when `withCoords`, the same boxes of every volume's coordinates ([B, 3, ...]) and body
 * mask ([B, 1, ...], as float). The coordinates draw nothing from `rng`, so a guided run's patches, t and noise are
 * those of a diffusion run with the same seed.
 */
export function drawPretrainBatch(rng: Rng, volumes: readonly PretrainVolume[], patch: readonly [number, number, number], batch: number, withCoords: boolean): PretrainBatch {
  const size = patch[0] * patch[1] * patch[2];
  const image = new Float32Array(batch * size);
  const coords = new Float32Array(withCoords ? 3 * batch * size : 0);
  const mask = new Float32Array(withCoords ? batch * size : 0);
  for (let b = 0; b < batch; b++) {
    const v = volumes[volumes.length === 1 ? 0 : nextInt(rng, volumes.length)]!;
    const start = [0, 1, 2].map((a) => sampleStart(rng, v.dims[a]!, patch[a]!, undefined, 'inside'));
    image.set(extractBox(v.image, v.dims, start, patch, 0), b * size);
    if (!withCoords) continue;
    if (!v.coords || !v.body) throw new JobError('pretrain: guided pretraining needs coordinates and a body mask for every volume');
    const n = v.image.length;
    for (let c = 0; c < 3; c++) coords.set(extractBox(v.coords.subarray(c * n, (c + 1) * n), v.dims, start, patch, 0), (3 * b + c) * size);
    const body = extractBox(v.body, v.dims, start, patch, 0);
    for (let x = 0; x < size; x++) mask[b * size + x] = body[x]!;
  }
  return { image, coords, mask };
}

export function pretrainProgramFrom(job: PretrainJob, volumes: readonly PretrainVolume[]): StepProgram {
  if (volumes.length === 0) throw new JobError('pretrain: no training volume');
  const [pi, pj, pk] = job.patch;
  const size = pi * pj * pk;
  const optimizer = { ...optimizerConfigOf(job.optimizer), ...(job.ema !== undefined ? { ema: job.ema } : {}) };
  const shape = { batch: job.batch, spatial: [pk, pj, pi] as [number, number, number] };
  const image = [job.batch, 1, pk, pj, pi];
  let step: TrainStepGraph;
  let data: (rng: Rng) => Map<string, NamedTensor>;
  const patches = (rng: Rng): Float32Array => drawPretrainPatches(rng, volumes, job.patch, job.batch);
  if (job.method === 'contrastive') {
    const net = contrastiveNetOf(job);
    const positives = job.positives ?? VOX2VEC_POSITIVES;
    step = buildContrastiveTrainStep({ net, optimizer, shape: { pairs: job.batch, spatial: [pk, pj, pi], positives } });
    const sampling = { patch: job.patch, pairs: job.batch, positives, levels: net.levels };
    const crops = volumes.map((v, n) => {
      if (!v.body || !v.spacingMm) throw new JobError(`pretrain: contrastive needs the body mask and spacing of every CT (volume ${n} lacks them)`);
      return { image: v.image, body: v.body, dims: v.dims, spacing: v.spacingMm };
    });
    data = (rng) => {
      // vox2vec: every pair of a step comes from one CT.
      const b = sampleContrastiveBatch(rng, crops[crops.length === 1 ? 0 : nextInt(rng, crops.length)]!, sampling);
      const out = new Map<string, NamedTensor>([[CONTRASTIVE_INPUTS.image, tensor([2 * job.batch, 1, pk, pj, pi], b.image)], [CONTRASTIVE_INPUTS.weights, tensor([b.weights.length], b.weights)]]);
      for (const [v, levels] of [[1, b.idx1], [2, b.idx2]] as const) {
        levels.forEach((idx, l) => out.set(CONTRASTIVE_INPUTS.idx(v, l), { dtype: 'I64', shape: [idx.length], data: idx }));
      }
      return out;
    };
  } else if (job.method === 'guided') {
    if (!job.guidance) throw new JobError('pretrain: --method guided needs its guidance (mode, weight, coordinates)');
    const net = diffusionNetOf(job);
    const schedule = noiseSchedule(noiseScheduleConfig(job.noise ?? {}));
    const guidance = job.guidance;
    step = buildGuidedTrainStep({ net, optimizer, shape, mode: guidance.mode, ...('weight' in guidance ? { guidanceWeight: guidance.weight } : {}) });
    const shapes = new Map(step.data.map((d) => [d.name, d.shape]));
    data = (rng) => {
      const drawn = drawPretrainBatch(rng, volumes, job.patch, job.batch, true);
      const { feeds } = diffusionBatch(rng, schedule, toDiffusionRange(drawn.image), job.batch, net.timeChannels);
      const out = new Map([...feeds].map(([name, values]) => [name, tensor(shapes.get(name) ?? [values.length], values)]));
      out.set(GUIDED_INPUTS.coords, tensor([job.batch, 3, pk, pj, pi], drawn.coords));
      if (hasAuxHead(guidance.mode)) out.set(GUIDED_INPUTS.mask, tensor([job.batch, 1, pk, pj, pi], drawn.mask));
      // Drawn last, so a conditioned run sees the patches, t and noise of an aux or diffusion run with the same seed.
      if ('conditionDropout' in guidance) out.set(GUIDED_INPUTS.keep, tensor([job.batch, 1, 1, 1, 1], drawConditionKeep(rng, job.batch, guidance.conditionDropout)));
      return out;
    };
  } else if (job.method === 'diffusion') {
    const net = diffusionNetOf(job);
    const schedule = noiseSchedule(noiseScheduleConfig(job.noise ?? {}));
    step = buildDiffusionTrainStep({ net, optimizer, shape });
    const shapes = new Map(step.data.map((d) => [d.name, d.shape]));
    data = (rng) => {
      const { feeds } = diffusionBatch(rng, schedule, toDiffusionRange(patches(rng)), job.batch, net.timeChannels);
      return new Map([...feeds].map(([name, values]) => [name, tensor(shapes.get(name) ?? [values.length], values)]));
    };
  } else {
    step = buildGenesisTrainStep({ net: genesisNetOf(job), optimizer, shape });
    data = (rng) => {
      const drawn = patches(rng);
      const input = new Float32Array(drawn.length);
      const target = new Float32Array(drawn.length);
      for (let b = 0; b < job.batch; b++) {
        const s = genesisSample(rng, { dims: [pi, pj, pk], data: drawn.subarray(b * size, (b + 1) * size) });
        input.set(s.input, b * size);
        target.set(s.target, b * size);
      }
      return new Map([[GENESIS_INPUTS.image, tensor(image, input)], [GENESIS_INPUTS.target, tensor(image, target)]]);
    };
  }
  const shapeOf = new Map(step.graph.inputs.map((i) => [i.value.name, i.value.shape]));
  return {
    model: toOnnxModel(step.graph),
    carry: carriedStates(step.graph, step.carried),
    lossOutput: step.lossOutput,
    ...(step.termOutputs ? { termOutputs: step.termOutputs } : {}),
    lrInput: HYPER.lr,
    initState(rng) {
      const values = initialTrainState(step, rng);
      return new Map([...values].map(([name, v]) => [name, tensor(shapeOf.get(name) ?? [v.length], v)]));
    },
    batch(stepNumber, rng) {
      const out = data(rng);
      return withHyperInputs(out, step.hyper, optimizer, job.schedule, stepNumber, 'pretrain');
    },
  };
}

/** Timestep at which a diffusion backbone is exported: the clean image, as probing reads it (issue 11). */
export const EXPORT_TIMESTEP = 0;

/** A denoiser's backbone as a plain FPN3d at the null condition (if conditioned), FiLM at `timestep`, taking [0, 1]. */
function foldedDenoiser(params: ReadonlyMap<string, Float32Array>, net: DiffusionNetConfig, timestep: number): Map<string, Float32Array> {
  const atT = foldTimestep(params, net, timestep);
  return foldInputRange(net.inChannels > net.outChannels ? foldNullCondition(atT, net) : atT);
}

/** The stem weight's [C, in, k, k, k] for the values it holds now (the null condition's fold cuts `in` to the image's). */
function stemShape([channels, , ...kernel]: readonly number[], values: number): number[] {
  return [channels!, values / (channels! * kernel.reduce((a, k) => a * k, 1)), ...kernel];
}

/**
 * The plain FPN3d backbone (`backbone.*` only, segmenter names and shapes) in a step graph's checkpoint tensors:
 * with `job.ema`, the EMA of the weights (`ema.*`, averagedWeights), else the weights as trained. Diffusion and
 * guided: FiLM folded at `timestep` (default EXPORT_TIMESTEP = 0, the clean image; compare's sweep asks others;
 * foldTimestep) and the [-1, 1] input range folded into the stem (foldInputRange), so a segmenter feeding [0, 1] sees what the denoiser saw (guided's aux.* head stays behind
 * with the epsilon head). Guided cond and both: first the null condition folded (foldNullCondition: the stem keeps its
 * image channel), as probing reads the backbone without coordinates. Genesis and contrastive: the backbone as trained
 * (Genesis' reconstruction head and the contrastive projection head are dropped).
 */
export function pretrainedBackbone(job: PretrainJob, checkpoint: ReadonlyMap<string, NamedTensor>, timestep = EXPORT_TIMESTEP): Map<string, NamedTensor> {
  const tensors = job.ema !== undefined ? averagedWeights(checkpoint) : checkpoint;
  const shapes = new Map([...tensors].map(([name, t]) => [name, t.shape]));
  const params = new Map<string, Float32Array>();
  for (const [name, t] of tensors) {
    if (!name.startsWith('backbone.') && !name.startsWith('temb.')) continue;
    if (t.dtype !== 'F32') throw new JobError(`pretrain: ${name} is ${t.dtype}, expected F32`);
    params.set(name, t.data as Float32Array);
  }
  const plain = job.method === 'diffusion' || job.method === 'guided' ? foldedDenoiser(params, diffusionNetOf(job), timestep) : params;
  const out = new Map<string, NamedTensor>();
  for (const [name, data] of plain) {
    if (!name.startsWith('backbone.')) continue;
    const shape = shapes.get(name) ?? [data.length];
    out.set(name, tensor(name === 'backbone.stem.weight' ? stemShape(shape, data.length) : shape, Float32Array.from(data)));
  }
  if (out.size === 0) throw new JobError('pretrain: the checkpoint holds no backbone.* parameter');
  return out;
}
