/**
 * vox2vec's training data (Goncharov et al. 2023; ../shared/notes/pretraining.md), the contrastive arm of issue 11:
 * a step sees `pairs` crop pairs of ONE CT. The two crops of a pair are blocks of the training grid (one scale, no
 * resampling) that both contain one anchor body voxel; up to `positives` body voxels inside both crops are the
 * positives, each in slot s of view 1 and slot s of view 2 (the same voxel of the CT); every other sampled voxel of
 * both views, over all pairs of the step, is a negative (info-nce.ts). The crops come from the coordinate model's
 * sampler (coords/crop-pairs.ts) with the spacing pinned to the grid's and `onGrid`, so positions are exact.
 *
 * Level l of the FPN3d pyramid has 1/2^l of the crop's resolution; a voxel's level-l feature is read at index >> l
 * per axis (vox2vec's `index // 2^l`, nearest). The step graph flattens every level channels-last over the batch,
 * [2P * voxels_l, C_l] (every pair's view 1, then every pair's view 2), and gathers rows: `levelIndices` gives them.
 */
import { sampleCropPair, type CoordsVolume, type CropPairOptions } from '../coords/crop-pairs.js';
import type { Dims } from '../preprocess/grid.js';
import type { Rng } from '../random/rng.js';

/** vox2vec: up to 1024 positive voxels per crop pair. */
export const VOX2VEC_POSITIVES = 1024;

export interface ContrastiveSampling {
  /** Crop size (i, j, k voxels), the patch of the other methods. */
  readonly patch: readonly [number, number, number];
  /** Crop pairs per step. */
  readonly pairs: number;
  /** Positive slots per pair (empty ones, when fewer body voxels are shared, have weight 0). */
  readonly positives: number;
  /** Pyramid levels of the backbone: indices are produced for levels 0..levels-1. */
  readonly levels: number;
}

export interface ContrastiveBatch {
  /** [2P, 1, D, H, W]: every pair's view 1, then every pair's view 2 (i fastest, so W = i, H = j, D = k). */
  readonly image: Float32Array;
  /** Per level, row indices into that level's [2P * voxels_l, C_l] map, [P * positives] per view. */
  readonly idx1: readonly BigInt64Array[];
  readonly idx2: readonly BigInt64Array[];
  /** 1 for a filled slot, [P * positives]. */
  readonly weights: Float32Array;
  /** Flat crop-voxel indices of the slots (level 0), [P * positives] per view: what the tests and logs read. */
  readonly voxels: readonly [Int32Array, Int32Array];
}

/** The crop-pair options of vox2vec's sampling on a volume: one scale (the volume's), on its grid, body anchor. */
export function contrastiveCropOptions(volume: CoordsVolume, s: ContrastiveSampling): CropPairOptions {
  return {
    patch: s.patch, minSpacing: volume.spacing, maxSpacing: volume.spacing, bodySlots: s.positives, backgroundSlots: 0,
    padValue: 0, anchor: 'body', onGrid: true,
  };
}

/** Row of crop voxel `flat` (i fastest in a crop of `patch`) in level `level`'s map flattened over the batch. */
export function levelIndex(patch: Dims | readonly [number, number, number], crop: number, flat: number, level: number): number {
  const [px, py, pz] = patch;
  const [lx, ly, lz] = [px >> level, py >> level, pz >> level];
  const x = flat % px, y = Math.floor(flat / px) % py, z = Math.floor(flat / (px * py));
  return crop * lx * ly * lz + (x >> level) + lx * ((y >> level) + ly * (z >> level));
}

export function checkContrastiveSampling(s: ContrastiveSampling): void {
  const m = 2 ** (s.levels - 1);
  for (const [name, v] of [['pairs', s.pairs], ['positives', s.positives], ['levels', s.levels]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`contrastive: ${name} must be a positive integer, got ${v}`);
  }
  if (s.patch.some((p) => !Number.isInteger(p) || p < m || p % m !== 0)) throw new Error(`contrastive: patch ${s.patch.join('x')} must be positive multiples of ${m}`);
}

export function sampleContrastiveBatch(rng: Rng, volume: CoordsVolume, s: ContrastiveSampling): ContrastiveBatch {
  checkContrastiveSampling(s);
  const options = contrastiveCropOptions(volume, s);
  const { pairs, positives, levels, patch } = s;
  const cropVoxels = patch[0] * patch[1] * patch[2];
  const slots = pairs * positives;
  const image = new Float32Array(2 * pairs * cropVoxels);
  const idx = [0, 1].map(() => Array.from({ length: levels }, () => new BigInt64Array(slots))) as [BigInt64Array[], BigInt64Array[]];
  const voxels: [Int32Array, Int32Array] = [new Int32Array(slots), new Int32Array(slots)];
  const weights = new Float32Array(slots);
  for (let p = 0; p < pairs; p++) {
    const pair = sampleCropPair(rng, volume, options);
    for (const v of [0, 1] as const) {
      const crop = v * pairs + p;
      image.set(pair.views[v].image, crop * cropVoxels);
      for (let t = 0; t < positives; t++) {
        const slot = p * positives + t;
        const flat = pair.idx[v][t]!;
        voxels[v][slot] = flat;
        for (let l = 0; l < levels; l++) idx[v][l]![slot] = BigInt(levelIndex(patch, crop, flat, l));
      }
    }
    weights.set(pair.shared, p * positives);
  }
  return { image, idx1: idx[0], idx2: idx[1], weights, voxels };
}
