import type { Mat4 } from '../volume/mat4.js';
import type { VoxelGrid } from '../volume/orientation.js';

/** Voxel data types a preprocessing step accepts (what the NIfTI reader or a label map holds). */
export type VoxelArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** A 3D grid, x fastest: `data[i + j * dims[0] + k * dims[0] * dims[1]]` (the volume module's layout). */
export type Grid<T extends VoxelArray> = VoxelGrid<T>;

export type Dims = readonly [number, number, number];

/** A half-open voxel box `[start, stop)` per axis, in the ijk space of the grid it was computed on. */
export interface Box {
  readonly start: readonly [number, number, number];
  readonly stop: readonly [number, number, number];
}

export class PreprocessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreprocessError';
  }
}

/** The one flat-index helper: x fastest, as NIfTI stores voxels. */
export function voxelIndex(dims: Dims, i: number, j: number, k: number): number {
  return i + dims[0] * (j + dims[1] * k);
}

export function voxelCount(dims: Dims): number {
  return dims[0] * dims[1] * dims[2];
}

/** Throws PreprocessError unless `data` holds exactly dims[0]*dims[1]*dims[2] voxels. */
export function checkGrid(grid: { dims: Dims; data: { length: number } }, what: string): void {
  const { dims } = grid;
  if (dims.length !== 3 || !dims.every((n) => Number.isInteger(n) && n > 0)) {
    throw new PreprocessError(`${what}: dims must be three positive integers, got ${dims.join('x')}`);
  }
  if (grid.data.length !== voxelCount(dims)) {
    throw new PreprocessError(`${what}: ${dims.join('x')} needs ${voxelCount(dims)} voxels, data has ${grid.data.length}`);
  }
}

/** True when two grids have the same dims and affines equal within `tolMm` per element (labels belong to the image). */
export function sameGeometry(a: { dims: Dims; ijkToRas: Mat4 }, b: { dims: Dims; ijkToRas: Mat4 }, tolMm = 1e-3): boolean {
  return a.dims.every((n, axis) => n === b.dims[axis]) && a.ijkToRas.every((v, n) => Math.abs(v - (b.ijkToRas[n] as number)) <= tolMm);
}
