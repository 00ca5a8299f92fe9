// Slice extraction for the first paint: the three planes through a point, in the same screen orientation NiiVue
// uses (neurological by default: patient's right on screen right; anterior up in axial; superior up otherwise;
// nose to the right in sagittal). Voxel axes are mapped to the nearest RAS axes (an exact permutation + flips,
// no resampling), so oblique or sheared images are shown as their nearest canonical orientation, like NiiVue does.

import { axisMapping, orientationCode as volumeOrientationCode } from '../volume/orientation.js';

/** Row-major 4x4 ijk -> RAS (mm) matrix, 16 numbers (core/volume's `Mat4`). */
export type Mat4RowMajor = readonly number[];

export type Plane = 'axial' | 'coronal' | 'sagittal';
export const PLANES: readonly Plane[] = ['axial', 'coronal', 'sagittal'];

/** For each RAS axis (0 = R, 1 = A, 2 = S): which voxel axis runs along it and whether it runs backwards. */
export interface RasAxisMap {
  readonly voxelAxis: readonly [number, number, number];
  readonly flipped: readonly [boolean, boolean, boolean];
}

/** A grey image ready to draw: row 0 is the top of the screen. `pixelMm` is the physical size of a pixel (x, y). */
export interface SliceImage {
  readonly plane: Plane;
  readonly width: number;
  readonly height: number;
  readonly pixelMm: readonly [number, number];
  readonly data: Float32Array;
}

/** A volume as the slicer needs it: x fastest, then y, then z. */
export interface VoxelGrid {
  readonly dims: readonly [number, number, number];
  readonly ijkToRas: Mat4RowMajor;
  readonly data: ArrayLike<number>;
}

/**
 * The inverse view of core/volume's `axisMapping` (voxel axis -> world axis): for each RAS axis, its voxel axis.
 * Oblique and sheared matrices map to their nearest axes.
 */
export function rasAxisMap(ijkToRas: Mat4RowMajor): RasAxisMap {
  if (ijkToRas.length !== 16) throw new RangeError(`ijkToRas must have 16 numbers, got ${ijkToRas.length}`);
  const { worldAxis, negative } = axisMapping(ijkToRas);
  const voxelAxis: [number, number, number] = [0, 0, 0];
  const flipped: [boolean, boolean, boolean] = [false, false, false];
  worldAxis.forEach((ras, vox) => {
    voxelAxis[ras] = vox;
    flipped[ras] = negative[vox] as boolean;
  });
  return { voxelAxis, flipped };
}

/** Orientation code of the voxel axes, e.g. "LPS" for DICOM-like data, "RAS" for canonical. */
export function orientationCode(ijkToRas: Mat4RowMajor): string {
  return volumeOrientationCode(ijkToRas);
}

/** Voxel spacing (mm) along each voxel axis: the length of each affine column. */
export function voxelSpacing(ijkToRas: Mat4RowMajor): [number, number, number] {
  const len = (j: number): number => Math.hypot(ijkToRas[j] as number, ijkToRas[4 + j] as number, ijkToRas[8 + j] as number);
  return [len(0), len(1), len(2)];
}

/** Size of the volume along R, A, S in voxels (the canonical grid). */
export function canonicalDims(grid: Pick<VoxelGrid, 'dims'>, map: RasAxisMap): [number, number, number] {
  return [0, 1, 2].map((ras) => grid.dims[map.voxelAxis[ras] as number] as number) as [number, number, number];
}

/** Canonical (R, A, S) voxel index -> the file's voxel index (ijk). */
export function canonicalToIjk(rasIndex: readonly number[], dims: readonly number[], map: RasAxisMap): [number, number, number] {
  const ijk: [number, number, number] = [0, 0, 0];
  for (let ras = 0; ras < 3; ras++) {
    const vox = map.voxelAxis[ras] as number;
    const n = dims[vox] as number;
    const c = rasIndex[ras] as number;
    ijk[vox] = map.flipped[ras] ? n - 1 - c : c;
  }
  return ijk;
}

/** The file's voxel index -> canonical (R, A, S) index. Its own inverse by construction of the flips. */
export function ijkToCanonical(ijk: readonly number[], dims: readonly number[], map: RasAxisMap): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0];
  for (let ras = 0; ras < 3; ras++) {
    const vox = map.voxelAxis[ras] as number;
    const n = dims[vox] as number;
    const i = ijk[vox] as number;
    out[ras] = map.flipped[ras] ? n - 1 - i : i;
  }
  return out;
}

/** World position (mm) of a voxel index (fractional allowed). */
export function ijkToRasMm(ijkToRas: Mat4RowMajor, ijk: readonly number[]): [number, number, number] {
  const [i, j, k] = [ijk[0] as number, ijk[1] as number, ijk[2] as number];
  const row = (r: number): number =>
    (ijkToRas[r * 4] as number) * i + (ijkToRas[r * 4 + 1] as number) * j + (ijkToRas[r * 4 + 2] as number) * k + (ijkToRas[r * 4 + 3] as number);
  return [row(0), row(1), row(2)];
}

/**
 * Extracts one display plane through the canonical point `rasIndex`. `radiological` mirrors the horizontal axis
 * of axial and coronal views (patient's right on screen left). Allocates only the output slice.
 */
export function extractSlice(grid: VoxelGrid, map: RasAxisMap, plane: Plane, rasIndex: readonly number[], radiological = false): SliceImage {
  const [nx, ny, nz] = grid.dims;
  const strides = [1, nx, nx * ny];
  if (grid.data.length < nx * ny * nz) throw new RangeError(`voxel data has ${grid.data.length} values, dims need ${nx * ny * nz}`);
  // For each canonical axis: where index 0 sits in the data and how far one step moves (negative when flipped).
  const base: number[] = [];
  const step: number[] = [];
  for (let ras = 0; ras < 3; ras++) {
    const vox = map.voxelAxis[ras] as number;
    const stride = strides[vox] as number;
    const n = grid.dims[vox] as number;
    base.push(map.flipped[ras] ? (n - 1) * stride : 0);
    step.push(map.flipped[ras] ? -stride : stride);
  }
  const cdims = canonicalDims(grid, map);
  const spacing = voxelSpacing(grid.ijkToRas);
  const mm = (ras: number): number => spacing[map.voxelAxis[ras] as number] as number;
  // Screen axes per plane: horizontal canonical axis, vertical canonical axis (drawn top = high index), fixed axis.
  const [hAxis, vAxis, fixedAxis] = plane === 'axial' ? [0, 1, 2] : plane === 'coronal' ? [0, 2, 1] : [1, 2, 0];
  const width = cdims[hAxis] as number;
  const height = cdims[vAxis] as number;
  const fixed = clampIndex(rasIndex[fixedAxis] as number, cdims[fixedAxis] as number);
  const mirror = radiological && plane !== 'sagittal';
  const out = new Float32Array(width * height);
  const fixedOffset = (base[fixedAxis] as number) + fixed * (step[fixedAxis] as number);
  const hBase = base[hAxis] as number;
  const hStep = step[hAxis] as number;
  for (let row = 0; row < height; row++) {
    const v = height - 1 - row;
    const rowOffset = fixedOffset + (base[vAxis] as number) + v * (step[vAxis] as number);
    const outRow = row * width;
    for (let col = 0; col < width; col++) {
      const h = mirror ? width - 1 - col : col;
      out[outRow + col] = grid.data[rowOffset + hBase + h * hStep] as number;
    }
  }
  return { plane, width, height, pixelMm: [mm(hAxis), mm(vAxis)], data: out };
}

/** The three planes through a canonical point (the first-paint payload). */
export function extractOrthogonalSlices(grid: VoxelGrid, rasIndex: readonly number[], radiological = false): SliceImage[] {
  const map = rasAxisMap(grid.ijkToRas);
  return PLANES.map((plane) => extractSlice(grid, map, plane, rasIndex, radiological));
}

/** The centre voxel in canonical indices: where a freshly opened volume puts its crosshair (like NiiVue). */
export function centreIndex(cdims: readonly number[]): [number, number, number] {
  return [0, 1, 2].map((a) => Math.floor(((cdims[a] as number) - 1) / 2)) as [number, number, number];
}

function clampIndex(i: number, n: number): number {
  return Math.min(n - 1, Math.max(0, Math.round(i)));
}
