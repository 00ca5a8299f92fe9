import { at, mat4Multiply, type Mat4 } from './mat4.js';

/** Letter for the direction in which a voxel index grows, per world (RAS) axis: [negative, positive]. */
const AXIS_LETTERS = [['L', 'R'], ['P', 'A'], ['I', 'S']] as const;

/** For each voxel axis i, j, k: the world axis (0 = x/R, 1 = y/A, 2 = z/S) it runs along and whether it runs backwards. */
export interface AxisMapping {
  readonly worldAxis: readonly [number, number, number];
  readonly negative: readonly [boolean, boolean, boolean];
}

/**
 * Which world axis each voxel axis is closest to. The (voxel axis, world axis) pair with the largest normalised
 * cosine is taken first, so oblique or sheared affines still get a valid permutation.
 */
export function axisMapping(ijkToRas: Mat4): AxisMapping {
  const cosines: { col: number; row: number; value: number }[] = [];
  for (let col = 0; col < 3; col++) {
    const norm = Math.hypot(at(ijkToRas, 0, col), at(ijkToRas, 1, col), at(ijkToRas, 2, col)) || 1;
    for (let row = 0; row < 3; row++) cosines.push({ col, row, value: at(ijkToRas, row, col) / norm });
  }
  cosines.sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.col - b.col || a.row - b.row);
  const worldAxis = [-1, -1, -1];
  const negative = [false, false, false];
  const rowTaken = [false, false, false];
  for (const { col, row, value } of cosines) {
    if (worldAxis[col] !== -1 || rowTaken[row]) continue;
    worldAxis[col] = row;
    negative[col] = value < 0;
    rowTaken[row] = true;
  }
  return { worldAxis: worldAxis as [number, number, number], negative: negative as [boolean, boolean, boolean] };
}

/**
 * Orientation code as nibabel's `aff2axcodes` writes it: for each voxel axis, the direction in which its index
 * grows. "RAS" is canonical; DICOM-style storage is "LPS".
 */
export function orientationCode(ijkToRas: Mat4): string {
  const { worldAxis, negative } = axisMapping(ijkToRas);
  return worldAxis.map((w, i) => AXIS_LETTERS[w as 0 | 1 | 2][negative[i] ? 0 : 1]).join('');
}

type TypedArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** A 3D voxel grid: `data[i + j * dims[0] + k * dims[0] * dims[1]]` (x fastest, as NIfTI stores it). */
export interface VoxelGrid<T extends TypedArray> {
  readonly dims: readonly [number, number, number];
  readonly ijkToRas: Mat4;
  readonly data: T;
}

/**
 * The same voxels re-indexed so that i, j, k run towards R, A, S: an exact permutation and flip of the axes
 * (no resampling), with the affine adjusted so every voxel keeps its world position.
 */
export function reorientToRas<T extends TypedArray>(grid: VoxelGrid<T>): VoxelGrid<T> {
  const { worldAxis, negative } = axisMapping(grid.ijkToRas);
  // source[a]: which old voxel axis becomes new axis a (new axis a runs along world axis a).
  const source = [0, 1, 2].map((a) => worldAxis.indexOf(a)) as [number, number, number];
  const flip = source.map((s) => negative[s] as boolean);
  const oldDims = grid.dims;
  const dims = source.map((s) => oldDims[s] as number) as [number, number, number];

  // newToOld maps new ijk to old ijk: old[source[a]] = flip ? n - 1 - new[a] : new[a].
  const newToOld = new Array<number>(16).fill(0);
  newToOld[15] = 1;
  for (let a = 0; a < 3; a++) {
    const s = source[a] as number;
    newToOld[s * 4 + a] = flip[a] ? -1 : 1;
    newToOld[s * 4 + 3] = flip[a] ? dims[a]! - 1 : 0;
  }
  const ijkToRas = mat4Multiply(grid.ijkToRas, newToOld);

  // Old strides seen from each new axis, so the copy loop is three nested adds with no per-voxel division.
  const oldStride = [1, oldDims[0], oldDims[0] * oldDims[1]];
  const step = [0, 1, 2].map((a) => (flip[a] ? -1 : 1) * (oldStride[source[a] as number] as number));
  const start = [0, 1, 2].reduce((sum, a) => sum + (flip[a] ? (dims[a]! - 1) * (oldStride[source[a] as number] as number) : 0), 0);
  const ctor = grid.data.constructor as new (length: number) => T;
  const data = new ctor(grid.data.length);
  const [n0, n1, n2] = dims;
  const [s0, s1, s2] = step as [number, number, number];
  let out = 0;
  for (let k = 0, ok = start; k < n2; k++, ok += s2) {
    for (let j = 0, oj = ok; j < n1; j++, oj += s1) {
      for (let i = 0, oi = oj; i < n0; i++, oi += s0) data[out++] = grid.data[oi] as number;
    }
  }
  return { dims, ijkToRas, data };
}

/**
 * The inverse of reorientToRas for data computed on the RAS grid: `ras` (laid out on reorientToRas(grid)'s dims)
 * back in the original voxel order of a grid with `dims` and `ijkToRas`. Results computed on the canonical grid are
 * written on the user's own grid this way.
 */
export function reorientFromRas(ras: Float32Array, dims: readonly [number, number, number], ijkToRas: Mat4): Float32Array {
  const { worldAxis, negative } = axisMapping(ijkToRas);
  const rasDims = [0, 1, 2].map((a) => dims[worldAxis.indexOf(a)]!) as [number, number, number];
  const rasStride = [1, rasDims[0], rasDims[0] * rasDims[1]];
  // Old axis o runs along RAS axis worldAxis[o]: its step in the RAS array, and where index 0 lands.
  const step = [0, 1, 2].map((o) => (negative[o] ? -1 : 1) * rasStride[worldAxis[o]!]!);
  const start = [0, 1, 2].reduce((sum, o) => sum + (negative[o] ? (dims[o]! - 1) * rasStride[worldAxis[o]!]! : 0), 0);
  const out = new Float32Array(dims[0] * dims[1] * dims[2]);
  let n = 0;
  for (let k = 0; k < dims[2]; k++) {
    for (let j = 0; j < dims[1]; j++) {
      let r = start + j * step[1]! + k * step[2]!;
      for (let i = 0; i < dims[0]; i++, n++, r += step[0]!) out[n] = ras[r]!;
    }
  }
  return out;
}
