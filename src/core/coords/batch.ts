/**
 * One training step's data for the coordinate model (train-step.ts): `pairs` crop pairs of one CT, as flat arrays in
 * the slot order the step graph expects, with positions standardised over the whole step as APE does (the mean and
 * the per-axis unbiased sd of every filled view-1 slot of every pair; `pooled` uses one sd for all three axes, which
 * keeps distances proportional to millimetres).
 */
import type { Rng } from '../random/rng.js';
import { augmentCoordsView, type CoordsAugmentConfig } from './augment.js';
import { sampleCropPair, type CoordsVolume, type CropPair, type CropPairOptions } from './crop-pairs.js';
import { COORDS_STRIDE } from './network.js';

export type Standardisation = 'per-axis' | 'pooled';

export interface CoordsBatch {
  /** [2P, 1, D, H, W]: every pair's view 1, then every pair's view 2 (i fastest, so W = i, H = j, D = k). */
  readonly image: Float32Array;
  /** Flat indices into the stride-4 embedding map flattened over the batch, [P * slots] per view. */
  readonly idx1: BigInt64Array;
  readonly idx2: BigInt64Array;
  /** Standardised positions, [P * slots, 3]. */
  readonly pos1: Float32Array;
  readonly pos2: Float32Array;
  readonly w1: Float32Array;
  readonly w2: Float32Array;
  /** [P * bodySlots]. */
  readonly shared: Float32Array;
  /** Mean (mm) and sd (mm per axis) the positions were standardised with. */
  readonly mean: readonly [number, number, number];
  readonly sd: readonly [number, number, number];
}

export function sampleCoordsBatch(rng: Rng, volume: CoordsVolume, pairs: number, options: CropPairOptions, standardise: Standardisation = 'per-axis', augment?: CoordsAugmentConfig): CoordsBatch {
  const drawn: CropPair[] = [];
  for (let p = 0; p < pairs; p++) {
    const pair = sampleCropPair(rng, volume, options);
    if (!augment) {
      drawn.push(pair);
      continue;
    }
    const [v1, v2] = pair.views.map((v) => ({ ...v, image: augmentCoordsView(rng, v.image, v.dims, v.spacing, augment) }));
    drawn.push({ ...pair, views: [v1!, v2!] });
  }
  return assembleCoordsBatch(drawn, options, standardise);
}

export function assembleCoordsBatch(drawn: readonly CropPair[], options: CropPairOptions, standardise: Standardisation = 'per-axis'): CoordsBatch {
  const pairs = drawn.length;
  const [px, py, pz] = options.patch;
  for (const a of [px, py, pz]) {
    if (a % COORDS_STRIDE !== 0) throw new Error(`coords batch: crop size ${options.patch.join('x')} must be a multiple of ${COORDS_STRIDE}`);
  }
  const cropVoxels = px * py * pz;
  const [mx, my] = [px / COORDS_STRIDE, py / COORDS_STRIDE];
  const mapVoxels = mx * my * (pz / COORDS_STRIDE);
  const { bodySlots: body, backgroundSlots: background } = options;
  const perView = pairs * (body + background);
  const image = new Float32Array(2 * pairs * cropVoxels);
  const idx = [new BigInt64Array(perView), new BigInt64Array(perView)] as const;
  const pos = [new Float32Array(perView * 3), new Float32Array(perView * 3)] as const;
  const w = [new Float32Array(perView), new Float32Array(perView)] as const;
  const shared = new Float32Array(pairs * body);

  /** A crop voxel's index in the batch's stride-4 map (APE reads `index // 4`). */
  const mapIndex = (crop: number, flat: number): bigint => {
    const x = flat % px, y = Math.floor(flat / px) % py, z = Math.floor(flat / (px * py));
    const m = Math.floor(x / COORDS_STRIDE) + mx * (Math.floor(y / COORDS_STRIDE) + my * Math.floor(z / COORDS_STRIDE));
    return BigInt(crop * mapVoxels + m);
  };
  drawn.forEach((pair, p) => {
    for (const v of [0, 1] as const) {
      const crop = v * pairs + p;
      image.set(pair.views[v].image, crop * cropVoxels);
      for (let s = 0; s < body + background; s++) {
        const slot = s < body ? p * body + s : pairs * body + p * background + (s - body);
        idx[v][slot] = mapIndex(crop, pair.idx[v][s]!);
        w[v][slot] = pair.weight[v][s]!;
        for (let a = 0; a < 3; a++) pos[v][slot * 3 + a] = pair.mm[v][s * 3 + a]!;
      }
    }
    shared.set(pair.shared, p * body);
  });

  const { mean, sd } = statistics(pos[0], w[0], standardise);
  for (const view of pos) {
    for (let slot = 0; slot < perView; slot++) for (let a = 0; a < 3; a++) view[slot * 3 + a] = (view[slot * 3 + a]! - mean[a]!) / sd[a]!;
  }
  return { image, idx1: idx[0], idx2: idx[1], pos1: pos[0], pos2: pos[1], w1: w[0], w2: w[1], shared, mean, sd };
}

/** Mean and sd (unbiased, as torch.std) of the filled slots; sd 1 where it is 0 or undefined. */
function statistics(mm: Float32Array, weight: Float32Array, mode: Standardisation): { mean: [number, number, number]; sd: [number, number, number] } {
  const sum = [0, 0, 0];
  let n = 0;
  for (let s = 0; s < weight.length; s++) {
    if (!weight[s]) continue;
    n++;
    for (let a = 0; a < 3; a++) sum[a]! += mm[s * 3 + a]!;
  }
  const mean = sum.map((v) => v / Math.max(n, 1)) as [number, number, number];
  const ss = [0, 0, 0];
  for (let s = 0; s < weight.length; s++) {
    if (!weight[s]) continue;
    for (let a = 0; a < 3; a++) ss[a]! += (mm[s * 3 + a]! - mean[a]!) ** 2;
  }
  const safe = (v: number): number => (v > 0 && Number.isFinite(v) ? v : 1);
  if (mode === 'pooled') {
    const sd = safe(Math.sqrt((ss[0]! + ss[1]! + ss[2]!) / Math.max(3 * n - 1, 1)));
    return { mean, sd: [sd, sd, sd] };
  }
  return { mean, sd: ss.map((v) => safe(Math.sqrt(v / Math.max(n - 1, 1)))) as [number, number, number] };
}
