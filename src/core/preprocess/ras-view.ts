import { mat4Multiply, type Mat4 } from '../volume/mat4.js';
import { axisMapping } from '../volume/orientation.js';
import { checkBox } from './crop.js';
import type { Box, Grid, VoxelArray } from './grid.js';
import type { StridedGrid } from './resample.js';

export interface RasCropView<T extends VoxelArray> {
  /** The box's voxels as reorientToRas(cropGrid(grid, box)) would hold them, read in place through strides. */
  readonly view: StridedGrid<T>;
  /** View ijk -> source ijk: an integer signed permutation plus an integer offset, exact by construction. */
  readonly toSourceIjk: Mat4;
  /** The same box on the RAS-oriented grid (reorientToRas(grid)): axes permuted and, along flipped axes, mirrored. */
  readonly rasBox: Box;
}

/**
 * The part of `grid` inside `box` (on the grid as stored), RAS-oriented, without copying a voxel. A bounding box commutes
 * with flips and axis swaps, so this equals cropping the reoriented volume, but a resampler reading through it spares
 * two full copies (on a 512x512x300 CT: about 370 MB and 0.25 s).
 */
export function rasCropView<T extends VoxelArray>(grid: Grid<T>, box: Box): RasCropView<T> {
  checkBox(grid, box, 'rasCropView');
  const { worldAxis, negative } = axisMapping(grid.ijkToRas);
  const storedStride = [1, grid.dims[0], grid.dims[0] * grid.dims[1]];
  const dims = [0, 0, 0] as [number, number, number];
  const strides = [0, 0, 0] as [number, number, number];
  const start = [0, 0, 0] as [number, number, number], stop = [0, 0, 0] as [number, number, number];
  const toSourceIjk = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
  let base = 0;
  for (let s = 0; s < 3; s++) {
    // Stored axis s runs along RAS axis a; a flipped axis is read from the box's far end backwards.
    const a = worldAxis[s] as number, n = grid.dims[s] as number, flip = negative[s] as boolean;
    const lo = box.start[s] as number, hi = box.stop[s] as number;
    const first = flip ? hi - 1 : lo;
    dims[a] = hi - lo;
    strides[a] = (flip ? -1 : 1) * (storedStride[s] as number);
    base += first * (storedStride[s] as number);
    toSourceIjk[s * 4 + a] = flip ? -1 : 1;
    toSourceIjk[s * 4 + 3] = first;
    start[a] = flip ? n - hi : lo;
    stop[a] = flip ? n - lo : hi;
  }
  return {
    view: { dims, ijkToRas: mat4Multiply(grid.ijkToRas, toSourceIjk), data: grid.data, base, strides },
    toSourceIjk,
    rasBox: { start, stop },
  };
}
