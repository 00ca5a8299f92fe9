import { mat4Multiply, type Mat4 } from '../volume/mat4.js';
import { checkGrid, PreprocessError, type Box, type Grid, type VoxelArray } from './grid.js';

/** vox2vec's body threshold: voxels at or above -500 HU are body (or table); below is air. */
export const BODY_THRESHOLD_HU = -500;

export interface BodyBoxOptions {
  /** HU at or above which a voxel counts as body (default -500). */
  readonly thresholdHu?: number;
  /** Voxels added on each side, clamped to the volume (default 0, as vox2vec). */
  readonly marginVoxels?: number | readonly [number, number, number];
}

/**
 * The bounding box of all voxels with HU >= threshold (vox2vec's `mask_to_bbox(image >= -500)`), grown by a margin.
 * Throws PreprocessError when no voxel reaches the threshold (not a CT in HU, or an empty volume).
 */
export function bodyBoundingBox(image: Grid<VoxelArray>, options: BodyBoxOptions = {}): Box {
  checkGrid(image, 'bodyBoundingBox');
  const threshold = options.thresholdHu ?? BODY_THRESHOLD_HU;
  const margin = typeof options.marginVoxels === 'number' || options.marginVoxels === undefined
    ? [options.marginVoxels ?? 0, options.marginVoxels ?? 0, options.marginVoxels ?? 0]
    : options.marginVoxels;
  const [nx, ny, nz] = image.dims;
  const data = image.data;
  let x0 = nx, x1 = -1, y0 = ny, y1 = -1, z0 = nz, z1 = -1;
  let index = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      let first = -1, last = -1;
      for (let i = 0; i < nx; i++, index++) {
        if ((data[index] as number) >= threshold) {
          if (first < 0) first = i;
          last = i;
        }
      }
      if (first < 0) continue;
      if (first < x0) x0 = first;
      if (last > x1) x1 = last;
      if (j < y0) y0 = j;
      if (j > y1) y1 = j;
      if (k < z0) z0 = k;
      z1 = k;
    }
  }
  if (x1 < 0) throw new PreprocessError(`bodyBoundingBox: no voxel of the ${image.dims.join('x')} volume is >= ${threshold} HU; is it a CT in Hounsfield units?`);
  const lo = [x0, y0, z0], hi = [x1 + 1, y1 + 1, z1 + 1];
  const start = [0, 1, 2].map((a) => Math.max(0, (lo[a] as number) - (margin[a] as number))) as [number, number, number];
  const stop = [0, 1, 2].map((a) => Math.min(image.dims[a] as number, (hi[a] as number) + (margin[a] as number))) as [number, number, number];
  return { start, stop };
}

/** Throws PreprocessError unless `box` is a non-empty integer box inside the grid (and the grid itself is whole). */
export function checkBox(grid: Grid<VoxelArray>, box: Box, what: string): void {
  checkGrid(grid, what);
  for (let a = 0; a < 3; a++) {
    const s = box.start[a] as number, e = box.stop[a] as number;
    if (!(Number.isInteger(s) && Number.isInteger(e) && s >= 0 && e <= (grid.dims[a] as number) && s < e)) {
      throw new PreprocessError(`${what}: box [${box.start.join(',')}]..[${box.stop.join(',')}) is empty or outside the ${grid.dims.join('x')} grid`);
    }
  }
}

/** The sub-grid inside `box`, with the affine shifted so every kept voxel keeps its world position. */
export function cropGrid<T extends VoxelArray>(grid: Grid<T>, box: Box): Grid<T> {
  checkBox(grid, box, 'cropGrid');
  const dims = [0, 1, 2].map((a) => (box.stop[a] as number) - (box.start[a] as number)) as [number, number, number];
  const [sx, sy, sz] = box.start;
  const [nx, ny] = grid.dims;
  const ctor = grid.data.constructor as new (length: number) => T;
  const data = new ctor(dims[0] * dims[1] * dims[2]);
  let out = 0;
  for (let k = 0; k < dims[2]; k++) {
    for (let j = 0; j < dims[1]; j++) {
      const rowStart = sx + nx * (sy + j + ny * (sz + k));
      data.set(grid.data.subarray(rowStart, rowStart + dims[0]), out);
      out += dims[0];
    }
  }
  return { dims, ijkToRas: mat4Multiply(grid.ijkToRas, translation(box.start)), data };
}

/** ijk -> ijk translation by `offset` voxels (crop and pad compose with an affine through it). */
export function translation(offset: readonly number[]): Mat4 {
  return [1, 0, 0, offset[0] ?? 0, 0, 1, 0, offset[1] ?? 0, 0, 0, 1, offset[2] ?? 0, 0, 0, 0, 1];
}
