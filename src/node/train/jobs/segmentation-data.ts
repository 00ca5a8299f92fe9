/**
 * Data for the segmentation job: one labelled volume (the phantom or a NIfTI pair) prepared once (intensity window to
 * [0, 1], labels mapped to classes 0..n, a body mask), then per step `batch` patches drawn with core/data's
 * samplePatch from the data RNG stream (augmented when the job asks) and laid out as the step graph's inputs.
 */
import type { NamedTensor } from '../../../core/checkpoint/safetensors.js';
import { augmentPatch, drawAugmentation } from '../../../core/data/augment.js';
import { indexClassVoxels, samplePatch, type ClassVoxels, type TrainingVolume } from '../../../core/data/patch.js';
import { makePhantom } from '../../../core/phantom/index.js';
import { gridSpacing } from '../../../core/preprocess/index.js';
import type { Rng } from '../../../core/random/rng.js';
import type { SegmentationJob } from './job-spec.js';
import { readNiftiFile } from '../../nifti/read-file.js';

export class JobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobError';
  }
}

/** vox2vec's CT window: HU clipped to [-1350, 1000], scaled to [0, 1]. */
export const DEFAULT_WINDOW: readonly [number, number] = [-1350, 1000];
/** Voxels above this HU count as body (the bce-dice loss is masked to the body; air outside is not scored). */
const BODY_HU = -500;

export interface PreparedVolume {
  readonly volume: TrainingVolume;
  readonly classVoxels: ClassVoxels;
  /** Foreground classes (1..classes); class 0 is background. */
  readonly classes: number;
  /** Source label value of each class 1..n. */
  readonly sourceLabels: readonly number[];
  readonly description: string;
  /** Voxel spacing along i, j, k (rotations and zoom in augmentation work in millimetres). */
  readonly spacingMm: readonly [number, number, number];
}

interface RawVolume {
  readonly dims: readonly [number, number, number];
  readonly image: ArrayLike<number>;
  readonly labels: ArrayLike<number>;
  readonly description: string;
  readonly spacingMm: readonly [number, number, number];
}

async function loadRaw(data: SegmentationJob['data']): Promise<RawVolume> {
  switch (data.kind) {
    case 'phantom': {
      const p = makePhantom({ size: data.size ?? 'small', seed: data.seed ?? 1 });
      return { dims: p.image.dims, image: p.image.data, labels: p.labels.data, description: p.description, spacingMm: gridSpacing(p.image.ijkToRas) };
    }
    case 'nifti': {
      const [image, labels] = await Promise.all([readNiftiFile(data.image), readNiftiFile(data.labels)]);
      if (image.dims.some((d, a) => d !== labels.dims[a])) {
        throw new JobError(`segmentation data: image ${data.image} is ${image.dims.join('x')} but labels ${data.labels} are ${labels.dims.join('x')}; they must share one grid`);
      }
      return { dims: image.dims, image: image.data, labels: labels.data, description: `${data.image} + ${data.labels}`, spacingMm: image.spacing };
    }
    case 'cases':
      throw new JobError('segmentation: cases data is prepared per case (prepareVolumes in segmentation-cases.ts), not as one volume');
  }
}

/** Loads and prepares the job's volume: window, label -> class map, body mask, per-class voxel index. */
export async function prepareVolume(job: SegmentationJob): Promise<PreparedVolume> {
  const raw = await loadRaw(job.data);
  const [lo, hi] = job.window ?? DEFAULT_WINDOW;
  if (!(hi > lo)) throw new JobError(`segmentation window [${lo}, ${hi}] must have hi > lo`);
  const n = raw.image.length;
  const present = new Set<number>();
  for (let v = 0; v < n; v++) present.add(Math.round(raw.labels[v]!));
  const sourceLabels = job.labels ?? [...present].filter((l) => l !== 0).sort((a, b) => a - b);
  if (sourceLabels.length === 0) throw new JobError(`segmentation data ${raw.description}: no foreground labels to learn`);
  if (sourceLabels.length > 255) throw new JobError(`segmentation: ${sourceLabels.length} classes, at most 255`);
  const classOf = new Map(sourceLabels.map((l, i) => [l, i + 1]));
  const image = new Float32Array(n);
  const labels = new Uint8Array(n);
  const bodyMask = new Uint8Array(n);
  for (let v = 0; v < n; v++) {
    const x = raw.image[v]!;
    image[v] = (Math.min(hi, Math.max(lo, x)) - lo) / (hi - lo);
    labels[v] = classOf.get(Math.round(raw.labels[v]!)) ?? 0;
    bodyMask[v] = x > BODY_HU ? 1 : 0;
  }
  const volume: TrainingVolume = { dims: raw.dims, image, labels, bodyMask };
  return { volume, classVoxels: indexClassVoxels(labels), classes: sourceLabels.length, sourceLabels, description: raw.description, spacingMm: raw.spacingMm };
}

/**
 * `batch` patches as the step graph's data inputs: `image` [B, 1, k, j, i] and, for softmax-ce, `labels` int64
 * [B, k, j, i]; for bce-dice, `target` one-hot [B, classes, k, j, i] (background has no channel) and `mask` [B, 1, k, j, i].
 * A patch's voxel order (i fastest) is already the graph's [D, H, W] = [k, j, i] layout, so no transposition.
 */
export function drawBatch(rng: Rng, prepared: PreparedVolume, job: SegmentationJob, batch: number): Map<string, NamedTensor> {
  const [pi, pj, pk] = job.patch;
  const voxels = pi * pj * pk;
  const spatial = [pk, pj, pi];
  const image = new Float32Array(batch * voxels);
  const classIds = new Uint8Array(batch * voxels);
  const masks = new Uint8Array(batch * voxels);
  for (let b = 0; b < batch; b++) {
    const sampled = samplePatch(rng, prepared.volume, prepared.classVoxels, {
      patchSize: job.patch, ...(job.classProbability !== undefined ? { classProbability: job.classProbability } : {}),
      ...(job.slabProbability ? { slabProbability: job.slabProbability, ...(job.slabSlices ? { slabSlices: job.slabSlices } : {}) } : {}),
    });
    // Drawn from the same stream after the patch, so a resumed run augments exactly as the uninterrupted one.
    const p = job.augment ? augmentPatch(sampled, drawAugmentation(rng), prepared.spacingMm) : sampled;
    image.set(p.image, b * voxels);
    classIds.set(p.labels, b * voxels);
    masks.set(p.bodyMask, b * voxels);
  }
  const out = new Map<string, NamedTensor>([['image', { dtype: 'F32', shape: [batch, 1, ...spatial], data: image }]]);
  if (job.loss === 'softmax-ce') {
    out.set('labels', { dtype: 'I64', shape: [batch, ...spatial], data: BigInt64Array.from(classIds, (c) => BigInt(c)) });
    return out;
  }
  const k = prepared.classes;
  const target = new Float32Array(batch * k * voxels);
  for (let b = 0; b < batch; b++) {
    for (let v = 0; v < voxels; v++) {
      const c = classIds[b * voxels + v]!;
      if (c > 0) target[(b * k + c - 1) * voxels + v] = 1;
    }
  }
  out.set('target', { dtype: 'F32', shape: [batch, k, ...spatial], data: target });
  out.set('mask', { dtype: 'F32', shape: [batch, 1, ...spatial], data: Float32Array.from(masks) });
  return out;
}
