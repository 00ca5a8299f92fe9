import { columnNorm, mat4Multiply, type Mat4 } from '../volume/mat4.js';
import { checkGrid, PreprocessError, type Grid, type VoxelArray } from './grid.js';

/** vox2vec's BTCV target spacing in mm along i, j, k (after canonical orientation: x, y, z). */
export const DEFAULT_SPACING_MM: readonly [number, number, number] = [1, 1, 2];

export type Interpolation = 'linear' | 'nearest';

/** Distance in mm between neighbouring voxel centres along i, j, k. */
export function gridSpacing(ijkToRas: Mat4): [number, number, number] {
  return [columnNorm(ijkToRas, 0), columnNorm(ijkToRas, 1), columnNorm(ijkToRas, 2)];
}

/**
 * Voxel-centre convention: output voxel o along an axis sits at source index o * s, with s = target / source spacing.
 * The first voxel centres coincide, the output spacing is exactly the target, and the output holds every centre that
 * lies inside the source's first-to-last centre extent: floor((n - 1) / s) + 1 voxels (no extrapolation).
 * vox2vec's imops/scipy `zoom` instead aligns the first AND last centres with round(n / s) voxels, which makes the real
 * spacing differ slightly from the target; the two grids differ by at most one voxel per axis.
 */
export function resampledAxis(n: number, sourceSpacing: number, targetSpacing: number): { size: number; step: number } {
  const step = targetSpacing / sourceSpacing;
  // 1e-9 absorbs rounding so that e.g. 101 voxels at 3 mm -> 1 mm gives exactly 301.
  return { size: Math.floor((n - 1) / step + 1e-9) + 1, step };
}

/** The ijk -> ijk map from an output grid to its source: a diagonal scale by each axis's step. */
export function scaleMatrix(step: readonly [number, number, number]): Mat4 {
  return [step[0], 0, 0, 0, 0, step[1], 0, 0, 0, 0, step[2], 0, 0, 0, 0, 1];
}

/**
 * A grid read through strides: voxel (i, j, k) is `data[base + i * strides[0] + j * strides[1] + k * strides[2]]`, so a
 * crop, flip or axis swap of another grid is described without copying it (see rasCropView).
 */
export interface StridedGrid<T extends VoxelArray> extends Grid<T> {
  readonly base: number;
  readonly strides: readonly [number, number, number];
}

/** A plain grid as a strided one (x fastest). */
export function contiguous<T extends VoxelArray>(grid: Grid<T>): StridedGrid<T> {
  return { ...grid, base: 0, strides: [1, grid.dims[0], grid.dims[0] * grid.dims[1]] };
}

/**
 * Resamples a grid to `spacingMm` along its own voxel axes: trilinear for images (float32 out), nearest for labels
 * (same array type out). The output affine is exactly `ijkToRas * diag(step)`, so world positions stay exact.
 */
export function resampleToSpacing<T extends VoxelArray>(grid: Grid<T>, spacingMm: readonly [number, number, number], mode: 'nearest'): Grid<T>;
export function resampleToSpacing(grid: Grid<VoxelArray>, spacingMm: readonly [number, number, number], mode: 'linear'): Grid<Float32Array>;
export function resampleToSpacing(grid: Grid<VoxelArray>, spacingMm: readonly [number, number, number], mode: Interpolation): Grid<VoxelArray> {
  checkGrid(grid, 'resampleToSpacing');
  return resampleStrided(contiguous(grid), spacingMm, mode);
}

/** resampleToSpacing for a strided grid: the copy that would make it contiguous is folded into the lookup tables. */
export function resampleStrided<T extends VoxelArray>(grid: StridedGrid<T>, spacingMm: readonly [number, number, number], mode: 'nearest'): Grid<T>;
export function resampleStrided(grid: StridedGrid<VoxelArray>, spacingMm: readonly [number, number, number], mode: 'linear'): Grid<Float32Array>;
export function resampleStrided(grid: StridedGrid<VoxelArray>, spacingMm: readonly [number, number, number], mode: Interpolation): Grid<VoxelArray>;
export function resampleStrided(grid: StridedGrid<VoxelArray>, spacingMm: readonly [number, number, number], mode: Interpolation): Grid<VoxelArray> {
  if (!spacingMm.every((s) => Number.isFinite(s) && s > 0)) throw new PreprocessError(`resampleToSpacing: target spacing must be positive, got ${spacingMm.join('x')} mm`);
  const source = gridSpacing(grid.ijkToRas);
  const axes = [0, 1, 2].map((a) => resampledAxis(grid.dims[a] as number, source[a] as number, spacingMm[a] as number));
  const dims = axes.map((x) => x.size) as [number, number, number];
  const step = axes.map((x) => x.step) as [number, number, number];
  const ijkToRas = mat4Multiply(grid.ijkToRas, scaleMatrix(step));
  const data = mode === 'linear' ? trilinear(grid, dims, step) : nearest(grid, dims, step);
  return { dims, ijkToRas, data };
}

/** Per-axis source offsets (index times stride) and weights, computed once so the voxel loop only reads tables. */
function linearTable(size: number, n: number, step: number, stride: number): { lo: Int32Array; hi: Int32Array; w: Float32Array } {
  const lo = new Int32Array(size), hi = new Int32Array(size), w = new Float32Array(size);
  for (let o = 0; o < size; o++) {
    const x = Math.min(o * step, n - 1);
    const l = Math.floor(x);
    lo[o] = l * stride;
    hi[o] = Math.min(l + 1, n - 1) * stride;
    w[o] = x - l;
  }
  return { lo, hi, w };
}

function trilinear(grid: StridedGrid<VoxelArray>, dims: [number, number, number], step: [number, number, number]): Float32Array {
  const [nx, ny, nz] = grid.dims;
  const src = grid.data;
  const [sx, sy, sz] = grid.strides;
  const tx = linearTable(dims[0], nx, step[0], sx), ty = linearTable(dims[1], ny, step[1], sy), tz = linearTable(dims[2], nz, step[2], sz);
  const out = new Float32Array(dims[0] * dims[1] * dims[2]);
  let index = 0;
  for (let k = 0; k < dims[2]; k++) {
    const z0 = grid.base + tz.lo[k]!, z1 = grid.base + tz.hi[k]!, wz = tz.w[k]!;
    for (let j = 0; j < dims[1]; j++) {
      const y0 = ty.lo[j]!, y1 = ty.hi[j]!, wy = ty.w[j]!;
      const r00 = z0 + y0, r01 = z0 + y1, r10 = z1 + y0, r11 = z1 + y1;
      for (let i = 0; i < dims[0]; i++) {
        const x0 = tx.lo[i]!, x1 = tx.hi[i]!, wx = tx.w[i]!;
        const c00 = src[r00 + x0]! + wx * (src[r00 + x1]! - src[r00 + x0]!);
        const c01 = src[r01 + x0]! + wx * (src[r01 + x1]! - src[r01 + x0]!);
        const c10 = src[r10 + x0]! + wx * (src[r10 + x1]! - src[r10 + x0]!);
        const c11 = src[r11 + x0]! + wx * (src[r11 + x1]! - src[r11 + x0]!);
        const c0 = c00 + wy * (c01 - c00), c1 = c10 + wy * (c11 - c10);
        out[index++] = c0 + wz * (c1 - c0);
      }
    }
  }
  return out;
}

function nearestTable(size: number, n: number, step: number, stride: number): Int32Array {
  const t = new Int32Array(size);
  // Half-way points round up (floor(x + 0.5)), as scipy's order-0 zoom does.
  for (let o = 0; o < size; o++) t[o] = Math.min(n - 1, Math.floor(o * step + 0.5)) * stride;
  return t;
}

function nearest(grid: StridedGrid<VoxelArray>, dims: [number, number, number], step: [number, number, number]): VoxelArray {
  const [nx, ny, nz] = grid.dims;
  const [sx, sy, sz] = grid.strides;
  const tx = nearestTable(dims[0], nx, step[0], sx), ty = nearestTable(dims[1], ny, step[1], sy), tz = nearestTable(dims[2], nz, step[2], sz);
  const ctor = grid.data.constructor as new (length: number) => VoxelArray;
  const out = new ctor(dims[0] * dims[1] * dims[2]);
  const src = grid.data;
  let index = 0;
  for (let k = 0; k < dims[2]; k++) {
    const zOff = grid.base + tz[k]!;
    for (let j = 0; j < dims[1]; j++) {
      const row = zOff + ty[j]!;
      for (let i = 0; i < dims[0]; i++) out[index++] = src[row + tx[i]!]!;
    }
  }
  return out;
}
