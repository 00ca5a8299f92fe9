/**
 * APE's training views (../shared/notes/pretraining.md): two crops of one CT at independently drawn spacings that
 * both contain one anchor point, resampled to a fixed voxel size, and the voxels the loss compares:
 *   shared slots      up to `bodySlots` body voxels of view 1 inside the overlap, and the view-2 voxel nearest to
 *                     each (the same physical point, within half a view-2 voxel per axis)
 *   background slots  up to `backgroundSlots` non-body voxels per view, drawn independently
 * Positions are millimetres on the volume's grid (voxel i at i * spacing); the batch standardises them over all of a
 * step's pairs (batch.ts). Slots are fixed in number for a static graph; empty ones have weight 0.
 */
import { nextFloat, nextInt, type Rng } from '../random/rng.js';
import type { Dims } from '../preprocess/grid.js';

export interface CoordsVolume {
  /** Intensities already scaled for the network (e.g. HU window to [0, 1]), i fastest. */
  readonly image: Float32Array;
  /** 1 inside the body. */
  readonly body: Uint8Array;
  readonly dims: Dims;
  /** Millimetres per voxel along i, j, k. */
  readonly spacing: readonly [number, number, number];
}

export interface CropPairOptions {
  /** Voxels per view (i, j, k); APE uses 96x96x64. */
  readonly patch: readonly [number, number, number];
  /** Spacing range per axis in mm; APE: [1, 1, 1.5] to [4, 4, 6]. Never finer than the volume's own spacing. */
  readonly minSpacing: readonly [number, number, number];
  readonly maxSpacing: readonly [number, number, number];
  readonly bodySlots: number;
  readonly backgroundSlots: number;
  /** Intensity outside the volume (the scaled value of air). */
  readonly padValue: number;
  /**
   * Where the shared anchor is drawn: 'image' uniformly over the whole grid (APE), 'body' over body voxels (ours, an
   * option: an anchor in the air around a small body can leave a pair with no shared body voxel to compare).
   */
  readonly anchor?: 'image' | 'body';
  /**
   * Start every view on a voxel of the volume's grid (its start rounded to a multiple of the volume's spacing). With
   * the spacing range pinned to the volume's own spacing (vox2vec's crops: one scale, src/core/pretrain/contrastive.ts)
   * the views are plain sub-blocks of the volume and a shared slot holds the same voxel in both, not one within half
   * a voxel of the other.
   */
  readonly onGrid?: boolean;
}

export const APE_CROP_DEFAULTS: CropPairOptions = Object.freeze({
  patch: [96, 96, 64] as const,
  minSpacing: [1, 1, 1.5] as const,
  maxSpacing: [4, 4, 6] as const,
  bodySlots: 1024,
  backgroundSlots: 1024,
  padValue: 0,
  anchor: 'image',
});

export interface CropView {
  readonly image: Float32Array;
  readonly body: Uint8Array;
  readonly dims: Dims;
  readonly spacing: readonly [number, number, number];
  /** Millimetres of voxel (0, 0, 0) on the volume's grid. */
  readonly startMm: readonly [number, number, number];
}

export interface CropPair {
  readonly views: readonly [CropView, CropView];
  /** Flat voxel indices into each view, `bodySlots + backgroundSlots` long; slots 0..bodySlots-1 are shared. */
  readonly idx: readonly [Int32Array, Int32Array];
  /** Positions in millimetres on the volume's grid, [slots, 3] row-major. */
  readonly mm: readonly [Float32Array, Float32Array];
  /** 1 for a filled slot, 0 for an empty one. */
  readonly weight: readonly [Float32Array, Float32Array];
  /** Weights of the shared slots (the first `bodySlots` of both views). */
  readonly shared: Float32Array;
}

const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * nextFloat(rng);

function drawView(rng: Rng, volume: CoordsVolume, anchor: readonly number[], o: CropPairOptions): CropView {
  const spacing = [0, 1, 2].map((a) => Math.max(volume.spacing[a]!, uniform(rng, o.minSpacing[a]!, o.maxSpacing[a]!))) as [number, number, number];
  // The anchor lies at a uniform place inside the crop, so the two views always overlap around it.
  const startMm = [0, 1, 2].map((a) => {
    const mm = anchor[a]! - nextFloat(rng) * (o.patch[a]! - 1) * spacing[a]!;
    return o.onGrid ? Math.round(mm / volume.spacing[a]!) * volume.spacing[a]! : mm;
  }) as [number, number, number];
  return resampleView(volume, startMm, spacing, o.patch, o.padValue);
}

/**
 * A crop of `patch` voxels at `spacing` mm whose voxel (0, 0, 0) lies at `startMm` on the volume's grid: trilinear
 * intensities (`padValue` outside the volume) and the nearest voxel's body flag. Training views and prediction
 * windows both come from here.
 */
export function resampleView(volume: CoordsVolume, startMm: readonly [number, number, number], spacing: readonly [number, number, number], patch: readonly [number, number, number], padValue: number): CropView {
  const o = { patch, padValue };
  const [px, py, pz] = patch;
  const image = new Float32Array(px * py * pz);
  const body = new Uint8Array(px * py * pz);
  const [nx, ny, nz] = volume.dims;
  const table = (a: 0 | 1 | 2, n: number, p: number): { lo: Int32Array; w: Float32Array; inside: Uint8Array } => {
    const lo = new Int32Array(p), w = new Float32Array(p), inside = new Uint8Array(p);
    for (let t = 0; t < p; t++) {
      const x = (startMm[a] + t * spacing[a]) / volume.spacing[a]!;
      inside[t] = x >= 0 && x <= n - 1 ? 1 : 0;
      const c = Math.min(Math.max(x, 0), n - 1);
      lo[t] = Math.min(Math.floor(c), n - 2 < 0 ? 0 : n - 2);
      w[t] = n === 1 ? 0 : c - lo[t]!;
    }
    return { lo, w, inside };
  };
  const tx = table(0, nx, px), ty = table(1, ny, py), tz = table(2, nz, pz);
  const src = volume.image;
  const at = (i: number, j: number, k: number): number => src[i + nx * (j + ny * k)]!;
  let index = 0;
  for (let k = 0; k < pz; k++) {
    const z = tz.lo[k]!, wz = tz.w[k]!, z1 = Math.min(z + 1, nz - 1);
    for (let j = 0; j < py; j++) {
      const y = ty.lo[j]!, wy = ty.w[j]!, y1 = Math.min(y + 1, ny - 1);
      for (let i = 0; i < px; i++, index++) {
        if (!tx.inside[i] || !ty.inside[j] || !tz.inside[k]) {
          image[index] = o.padValue;
          continue;
        }
        const x = tx.lo[i]!, wx = tx.w[i]!, x1 = Math.min(x + 1, nx - 1);
        const c00 = at(x, y, z) + wx * (at(x1, y, z) - at(x, y, z));
        const c01 = at(x, y1, z) + wx * (at(x1, y1, z) - at(x, y1, z));
        const c10 = at(x, y, z1) + wx * (at(x1, y, z1) - at(x, y, z1));
        const c11 = at(x, y1, z1) + wx * (at(x1, y1, z1) - at(x, y1, z1));
        const c0 = c00 + wy * (c01 - c00), c1 = c10 + wy * (c11 - c10);
        image[index] = c0 + wz * (c1 - c0);
        const ni = Math.round(x + wx), nj = Math.round(y + wy), nk = Math.round(z + wz);
        body[index] = volume.body[ni + nx * (nj + ny * nk)]!;
      }
    }
  }
  return { image, body, dims: patch, spacing, startMm };
}

function positionOf(view: CropView, flat: number, out: Float32Array, slot: number): void {
  const [px, py] = view.dims;
  const i = flat % px, j = Math.floor(flat / px) % py, k = Math.floor(flat / (px * py));
  out[slot * 3] = view.startMm[0] + i * view.spacing[0];
  out[slot * 3 + 1] = view.startMm[1] + j * view.spacing[1];
  out[slot * 3 + 2] = view.startMm[2] + k * view.spacing[2];
}

/** The view-2 voxel nearest to a point in mm, or -1 when it falls outside view 2. */
function nearestVoxel(view: CropView, mm: ArrayLike<number>): number {
  const c = [0, 1, 2].map((a) => Math.round((mm[a]! - view.startMm[a]!) / view.spacing[a]!));
  if (c.some((x, a) => x < 0 || x >= view.dims[a]!)) return -1;
  return c[0]! + view.dims[0] * (c[1]! + view.dims[1] * c[2]!);
}

/** Up to `count` distinct members of `pool`, uniformly (partial Fisher-Yates on a copy). */
function choose(rng: Rng, pool: number[], count: number): number[] {
  const n = Math.min(count, pool.length);
  for (let t = 0; t < n; t++) {
    const r = t + nextInt(rng, pool.length - t);
    [pool[t], pool[r]] = [pool[r]!, pool[t]!];
  }
  return pool.slice(0, n);
}

/** A point in millimetres: uniform over the grid (APE), or a uniform body voxel (any voxel when the mask is empty). */
function drawAnchor(rng: Rng, volume: CoordsVolume, where: 'image' | 'body'): number[] {
  if (where === 'image') return [0, 1, 2].map((a) => nextFloat(rng) * (volume.dims[a]! - 1) * volume.spacing[a]!);
  let inBody = 0;
  for (let f = 0; f < volume.body.length; f++) inBody += volume.body[f] ? 1 : 0;
  const [di, dj] = volume.dims;
  let flat = nextInt(rng, inBody > 0 ? inBody : volume.body.length);
  if (inBody > 0) {
    for (let f = 0; f < volume.body.length; f++) {
      if (volume.body[f] && flat-- === 0) {
        flat = f;
        break;
      }
    }
  }
  const voxel = [flat % di!, Math.floor(flat / di!) % dj!, Math.floor(flat / (di! * dj!))];
  return voxel.map((v, a) => v * volume.spacing[a]!);
}

export function sampleCropPair(rng: Rng, volume: CoordsVolume, options: CropPairOptions = APE_CROP_DEFAULTS): CropPair {
  const anchor = drawAnchor(rng, volume, options.anchor ?? 'image');
  const v1 = drawView(rng, volume, anchor, options);
  const v2 = drawView(rng, volume, anchor, options);
  const slots = options.bodySlots + options.backgroundSlots;
  const idx: [Int32Array, Int32Array] = [new Int32Array(slots), new Int32Array(slots)];
  const mm: [Float32Array, Float32Array] = [new Float32Array(slots * 3), new Float32Array(slots * 3)];
  const weight: [Float32Array, Float32Array] = [new Float32Array(slots), new Float32Array(slots)];
  const shared = new Float32Array(options.bodySlots);

  // Shared: body voxels of view 1 whose nearest view-2 voxel exists and is body too.
  const candidates: number[] = [];
  const partners = new Map<number, number>();
  const point = new Float32Array(3);
  for (let f = 0; f < v1.body.length; f++) {
    if (!v1.body[f]) continue;
    positionOf(v1, f, point, 0);
    const g = nearestVoxel(v2, point);
    if (g >= 0 && v2.body[g]) {
      candidates.push(f);
      partners.set(f, g);
    }
  }
  for (const [slot, f] of choose(rng, candidates, options.bodySlots).entries()) {
    idx[0][slot] = f;
    idx[1][slot] = partners.get(f)!;
    weight[0][slot] = weight[1][slot] = shared[slot] = 1;
  }
  for (const [v, view] of [v1, v2].entries()) {
    const outside: number[] = [];
    for (let f = 0; f < view.body.length; f++) if (!view.body[f]) outside.push(f);
    for (const [t, f] of choose(rng, outside, options.backgroundSlots).entries()) {
      const slot = options.bodySlots + t;
      idx[v]![slot] = f;
      weight[v]![slot] = 1;
    }
    for (let slot = 0; slot < slots; slot++) positionOf(view, idx[v]![slot]!, mm[v]!, slot);
  }

  return { views: [v1, v2], idx, mm, weight, shared };
}
