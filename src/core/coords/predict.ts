/**
 * Coordinates for every voxel of a CT (`anadiff coords predict`): the volume (RAS, scaled) is read through sliding
 * windows at one spacing inside the training range, each window's stride-4 map is averaged into one map over the
 * resampled grid, and every voxel of the volume takes the trilinear value of that map at its own position in mm.
 * Windows start on multiples of 4 resampled voxels, so overlapping windows' map cells coincide exactly.
 */
import { COORDS_CHANNELS, COORDS_STRIDE } from './network.js';
import { resampleView, type CoordsVolume } from './crop-pairs.js';

/** Runs the network on one window [1, 1, k, j, i] and returns its map [3, k/4, j/4, i/4]. */
export type CoordsWindowRunner = (image: Float32Array) => Promise<Float32Array>;

export interface CoordsPredictOptions {
  /** Window size in voxels (i, j, k): the model's crop. */
  readonly patch: readonly [number, number, number];
  /** Spacing the windows are resampled to (mm). */
  readonly spacing: readonly [number, number, number];
  /** Fraction of a window its neighbour overlaps (0..0.9, default 0.5). */
  readonly overlap?: number;
  readonly onProgress?: (done: number, total: number) => void;
  /** Polled between windows; true throws CoordsPredictCancelled. */
  readonly shouldStop?: () => boolean;
}

export class CoordsPredictCancelled extends Error {
  constructor() {
    super('coordinate prediction cancelled');
    this.name = 'CoordsPredictCancelled';
  }
}

/** Window starts (in resampled voxels, multiples of 4) covering `size` voxels with windows of `patch`. */
export function windowStarts(size: number, patch: number, overlap: number): number[] {
  const step = Math.max(COORDS_STRIDE, Math.floor((patch * (1 - overlap)) / COORDS_STRIDE) * COORDS_STRIDE);
  const last = Math.max(0, Math.ceil((size - patch) / COORDS_STRIDE) * COORDS_STRIDE);
  const starts: number[] = [];
  for (let s = 0; s < last; s += step) starts.push(s);
  starts.push(last);
  return starts;
}

/** Channel-major coordinates [3, voxels] on the volume's own grid (i fastest). */
export async function predictCoords(volume: CoordsVolume, run: CoordsWindowRunner, options: CoordsPredictOptions): Promise<Float32Array> {
  const { patch, spacing } = options;
  const overlap = options.overlap ?? 0.5;
  if (!(overlap >= 0 && overlap <= 0.9)) throw new Error(`coords predict: overlap must be in [0, 0.9], got ${overlap}`);
  for (const p of patch) if (p % COORDS_STRIDE !== 0) throw new Error(`coords predict: window ${patch.join('x')} must be multiples of ${COORDS_STRIDE}`);
  const resampled = [0, 1, 2].map((a) => Math.floor(((volume.dims[a]! - 1) * volume.spacing[a]!) / spacing[a]! + 1e-6) + 1);
  const starts = [0, 1, 2].map((a) => windowStarts(resampled[a]!, patch[a]!, overlap));
  const cells = [0, 1, 2].map((a) => patch[a]! / COORDS_STRIDE);
  const mapDims = [0, 1, 2].map((a) => starts[a]![starts[a]!.length - 1]! / COORDS_STRIDE + cells[a]!);
  const mapVoxels = mapDims[0]! * mapDims[1]! * mapDims[2]!;
  const sum = new Float32Array(COORDS_CHANNELS * mapVoxels);
  const count = new Float32Array(mapVoxels);
  const total = starts[0]!.length * starts[1]!.length * starts[2]!.length;
  const windowCells = cells[0]! * cells[1]! * cells[2]!;
  let done = 0;
  for (const sk of starts[2]!) for (const sj of starts[1]!) for (const si of starts[0]!) {
    if (options.shouldStop?.()) throw new CoordsPredictCancelled();
    const startMm = [si * spacing[0]!, sj * spacing[1]!, sk * spacing[2]!] as [number, number, number];
    const view = resampleView(volume, startMm, spacing as [number, number, number], patch, 0);
    const map = await run(view.image);
    if (map.length !== COORDS_CHANNELS * windowCells) throw new Error(`coords predict: the model returned ${map.length} values for a window, expected ${COORDS_CHANNELS * windowCells}`);
    const [oi, oj, ok] = [si / COORDS_STRIDE, sj / COORDS_STRIDE, sk / COORDS_STRIDE];
    for (let z = 0; z < cells[2]!; z++) for (let y = 0; y < cells[1]!; y++) for (let x = 0; x < cells[0]!; x++) {
      const w = x + cells[0]! * (y + cells[1]! * z);
      const m = x + oi + mapDims[0]! * (y + oj + mapDims[1]! * (z + ok));
      count[m]! += 1;
      for (let c = 0; c < COORDS_CHANNELS; c++) sum[c * mapVoxels + m]! += map[c * windowCells + w]!;
    }
    options.onProgress?.(++done, total);
  }
  for (let m = 0; m < mapVoxels; m++) {
    const n = count[m]!;
    for (let c = 0; c < COORDS_CHANNELS; c++) sum[c * mapVoxels + m] = n > 0 ? sum[c * mapVoxels + m]! / n : 0;
  }
  return sampleMap(sum, mapDims as [number, number, number], volume, spacing);
}

/**
 * The map at every voxel's position: map cell m covers resampled voxels 4m..4m+3, so its centre is at
 * (4m + 1.5) * spacing mm, and a voxel at p mm sits at cell coordinate p / (4 * spacing) - 0.375 (clamped).
 */
function sampleMap(map: Float32Array, mapDims: readonly [number, number, number], volume: CoordsVolume, spacing: readonly number[]): Float32Array {
  const [nx, ny, nz] = volume.dims;
  const voxels = nx * ny * nz;
  const mapVoxels = mapDims[0] * mapDims[1] * mapDims[2];
  const table = (a: number, n: number) => {
    const lo = new Int32Array(n), w = new Float32Array(n);
    for (let t = 0; t < n; t++) {
      const u = Math.min(Math.max((t * volume.spacing[a]!) / (COORDS_STRIDE * spacing[a]!) - 0.375, 0), mapDims[a]! - 1);
      lo[t] = Math.min(Math.floor(u), Math.max(mapDims[a]! - 2, 0));
      w[t] = mapDims[a]! === 1 ? 0 : u - lo[t]!;
    }
    return { lo, w };
  };
  const tx = table(0, nx), ty = table(1, ny), tz = table(2, nz);
  const out = new Float32Array(COORDS_CHANNELS * voxels);
  const [mx, my] = mapDims;
  const step = (a: number) => (mapDims[a]! > 1 ? 1 : 0);
  const sx = step(0), sy = step(1) * mx, sz = step(2) * mx * my;
  for (let c = 0; c < COORDS_CHANNELS; c++) {
    const src = map.subarray(c * mapVoxels, (c + 1) * mapVoxels);
    let n = c * voxels;
    for (let k = 0; k < nz; k++) {
      const z = tz.lo[k]!, wz = tz.w[k]!;
      for (let j = 0; j < ny; j++) {
        const y = ty.lo[j]!, wy = ty.w[j]!;
        const base = mx * (y + my * z);
        for (let i = 0; i < nx; i++, n++) {
          const b = base + tx.lo[i]!, wx = tx.w[i]!;
          const c00 = src[b]! + wx * (src[b + sx]! - src[b]!);
          const c01 = src[b + sy]! + wx * (src[b + sy + sx]! - src[b + sy]!);
          const c10 = src[b + sz]! + wx * (src[b + sz + sx]! - src[b + sz]!);
          const c11 = src[b + sz + sy]! + wx * (src[b + sz + sy + sx]! - src[b + sz + sy]!);
          const c0 = c00 + wy * (c01 - c00), c1 = c10 + wy * (c11 - c10);
          out[n] = c0 + wz * (c1 - c0);
        }
      }
    }
  }
  return out;
}
