import { PreprocessError, type Dims } from '../preprocess/grid.js';
import { nextFloat, nextInt, type Rng } from '../random/rng.js';

/** vox2vec's BTCV training patch in voxels along i, j, k (at 1x1x2 mm: 128 x 128 x 64 mm). */
export const DEFAULT_PATCH_SIZE: readonly [number, number, number] = [128, 128, 32];

/** One preprocessed case as the sampler needs it: three arrays on one grid, x fastest. */
export interface TrainingVolume {
  readonly dims: Dims;
  readonly image: Float32Array;
  readonly labels: Uint8Array;
  readonly bodyMask: Uint8Array;
}

/** Image, labels and body mask cut from the same box; voxels outside the volume are padding (0). */
export interface Patch {
  readonly size: Dims;
  /** Where the patch's voxel (0,0,0) lies in the volume (negative when padded). */
  readonly start: readonly [number, number, number];
  readonly image: Float32Array;
  readonly labels: Uint8Array;
  readonly bodyMask: Uint8Array;
  /** The class whose voxel the patch was drawn around, or undefined for a uniform draw. */
  readonly anchorClass: number | undefined;
}

/** Flat voxel indices per present class, built once per case so a draw costs O(1), not a scan. */
export interface ClassVoxels {
  readonly classes: readonly number[];
  readonly voxels: readonly Int32Array[];
}

export function indexClassVoxels(labels: Uint8Array): ClassVoxels {
  const counts = new Int32Array(256);
  for (let n = 0; n < labels.length; n++) counts[labels[n] as number]!++;
  const classes: number[] = [];
  const slot = new Int32Array(256).fill(-1);
  for (let c = 1; c < 256; c++) if (counts[c]! > 0) { slot[c] = classes.length; classes.push(c); }
  const voxels = classes.map((c) => new Int32Array(counts[c]!));
  const fill = new Int32Array(classes.length);
  for (let n = 0; n < labels.length; n++) {
    const s = slot[labels[n] as number]!;
    if (s >= 0) voxels[s]![fill[s]!++] = n;
  }
  return { classes, voxels };
}

export interface PatchSamplingOptions {
  readonly patchSize?: readonly [number, number, number];
  /** Probability of drawing around a voxel of a random class (default 0.5, vox2vec's `resampling_p`). */
  readonly classProbability?: number;
  /**
   * 'inside' (default, vox2vec's `sample_box`): the anchor voxel lies uniformly anywhere inside the patch;
   * 'centre': the patch is centred on it (moved only as far as needed to stay inside the volume).
   */
  readonly anchorPlacement?: 'inside' | 'centre';
  /**
   * Thin-scan training (users segment slabs of 10-60 slices): with this probability the patch is drawn from a slab
   * of `slabSlices` (inclusive range, along k) of the volume, as if that slab were the whole scan: voxels outside it
   * are padding, and a slab shorter than the patch sits at the patch's start along k, exactly where the sliding
   * window puts a volume shorter than the window (core/infer/sliding-window.ts windowStarts, extractBox padding).
   */
  readonly slabProbability?: number;
  readonly slabSlices?: readonly [number, number];
}

/** vox2vec-style defaults for slab draws: a quarter of the patches, 4..40 slices (12..120 mm at 3 mm). */
export const DEFAULT_SLAB_SLICES: readonly [number, number] = [4, 40];

/**
 * The patch start along one axis: uniform over the starts that keep the patch inside the volume (or, when the volume
 * is smaller than the patch, that keep the volume inside the patch) and, with an anchor, the anchor inside the patch.
 */
export function sampleStart(rng: Rng, n: number, p: number, anchor: number | undefined, placement: 'inside' | 'centre'): number {
  let lo = Math.min(0, n - p), hi = Math.max(0, n - p);
  if (anchor !== undefined) {
    if (placement === 'centre') return Math.min(Math.max(anchor - Math.floor(p / 2), lo), hi);
    lo = Math.max(lo, anchor - p + 1);
    hi = Math.min(hi, anchor);
  }
  return lo + nextInt(rng, hi - lo + 1);
}

/**
 * Draws one training patch: with probability `classProbability` around a voxel of a class chosen uniformly among the
 * classes present in the case, otherwise uniformly. vox2vec draws the class once per 7-patch step among all 13 channels
 * (an absent class then means a uniform draw); choosing among present classes per patch gives every organ the same
 * share of anchored patches.
 */
export function samplePatch(rng: Rng, volume: TrainingVolume, classVoxels: ClassVoxels, options: PatchSamplingOptions = {}): Patch {
  const size = options.patchSize ?? DEFAULT_PATCH_SIZE;
  const placement = options.anchorPlacement ?? 'inside';
  const { dims } = volume;
  if (volume.image.length !== dims[0] * dims[1] * dims[2] || volume.labels.length !== volume.image.length || volume.bodyMask.length !== volume.image.length) {
    throw new PreprocessError(`samplePatch: image, labels and body mask must all hold ${dims.join('x')} voxels`);
  }
  let anchor: [number, number, number] | undefined;
  let anchorClass: number | undefined;
  if (classVoxels.classes.length > 0 && nextFloat(rng) < (options.classProbability ?? 0.5)) {
    const c = nextInt(rng, classVoxels.classes.length);
    const list = classVoxels.voxels[c]!;
    const v = list[nextInt(rng, list.length)]!;
    anchorClass = classVoxels.classes[c];
    const i = v % dims[0], rest = (v - i) / dims[0];
    const j = rest % dims[1];
    anchor = [i, j, (rest - j) / dims[1]];
  }
  // Drawn only when slabs are asked for, so runs without them consume the same random numbers as before.
  const slabP = options.slabProbability ?? 0;
  if (slabP > 0 && nextFloat(rng) < slabP) {
    const [minSlices, maxSlices] = options.slabSlices ?? DEFAULT_SLAB_SLICES;
    const length = Math.min(dims[2], minSlices + nextInt(rng, Math.max(1, maxSlices - minSlices + 1)));
    // Uniform among the slabs that hold the anchor (or among all slabs without one).
    const lo = anchor ? Math.max(0, anchor[2] - length + 1) : 0;
    const hi = anchor ? Math.min(dims[2] - length, anchor[2]) : dims[2] - length;
    const z0 = lo + nextInt(rng, hi - lo + 1);
    const slab = slabOf(volume, z0, length);
    const slabAnchor = anchor ? [anchor[0], anchor[1], anchor[2] - z0] as const : undefined;
    const start = [0, 1, 2].map((a) => (a === 2 && length <= size[2]!
      ? 0 // the sliding window's placement of a volume shorter than the window
      : sampleStart(rng, slab.dims[a]!, size[a]!, slabAnchor?.[a], placement))) as [number, number, number];
    return { ...cutPatch(slab, start, size, anchorClass), start: [start[0], start[1], start[2] + z0] };
  }
  const start = [0, 1, 2].map((a) => sampleStart(rng, dims[a]!, size[a]!, anchor?.[a], placement)) as [number, number, number];
  return cutPatch(volume, start, size, anchorClass);
}

function cutPatch(volume: TrainingVolume, start: [number, number, number], size: readonly [number, number, number], anchorClass: number | undefined): Patch {
  const { dims } = volume;
  return {
    size: [...size] as [number, number, number],
    start,
    image: extractBox(volume.image, dims, start, size, 0),
    labels: extractBox(volume.labels, dims, start, size, 0),
    bodyMask: extractBox(volume.bodyMask, dims, start, size, 0),
    anchorClass,
  };
}

/** Slices [z0, z0 + length) of a volume as a volume of its own; k is the slowest axis, so these are views, not copies. */
export function slabOf(volume: TrainingVolume, z0: number, length: number): TrainingVolume {
  const plane = volume.dims[0] * volume.dims[1];
  const cut = <T extends Float32Array | Uint8Array>(a: T): T => a.subarray(z0 * plane, (z0 + length) * plane) as T;
  return { dims: [volume.dims[0], volume.dims[1], length], image: cut(volume.image), labels: cut(volume.labels), bodyMask: cut(volume.bodyMask) };
}

/** Copies the box [start, start + size) out of a volume, filling voxels outside it with `pad`. */
export function extractBox<T extends Float32Array | Uint8Array>(data: T, dims: Dims, start: readonly number[], size: readonly number[], pad: number): T {
  const [px, py, pz] = size as [number, number, number];
  const [sx, sy, sz] = start as [number, number, number];
  const ctor = data.constructor as new (length: number) => T;
  const out = new ctor(px * py * pz);
  if (pad !== 0) out.fill(pad);
  // Only the in-volume part of each row is copied; rows outside stay padding.
  const i0 = Math.max(0, -sx), i1 = Math.min(px, dims[0] - sx);
  if (i1 <= i0) return out;
  for (let k = 0; k < pz; k++) {
    const z = sz + k;
    if (z < 0 || z >= dims[2]) continue;
    for (let j = 0; j < py; j++) {
      const y = sy + j;
      if (y < 0 || y >= dims[1]) continue;
      const src = sx + dims[0] * (y + dims[1] * z);
      out.set(data.subarray(src + i0, src + i1), px * (j + py * k) + i0);
    }
  }
  return out;
}
