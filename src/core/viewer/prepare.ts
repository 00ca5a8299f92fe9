// Turns a decoded volume into what the viewer webview receives: a compact voxel buffer, its geometry, the default
// window and the three first-paint slices. Pure (runs in the decode worker and in unit tests).

import { centreIndex, canonicalDims, extractSlice, orientationCode, PLANES, rasAxisMap, voxelSpacing, type SliceImage } from './slices.js';
import { defaultRange, looksLikeCt, type DisplayRange } from './window.js';

/** The fields of a decoded NIfTI image the viewer needs (a structural subset of core/nifti's NiftiImage). */
export interface ViewerSource {
  readonly dims: readonly number[];
  readonly ijkToRas: readonly number[];
  /** Scaled voxel values of one frame, x fastest. */
  readonly data: Float32Array;
  /** NIfTI datatype name of the stored values, e.g. "int16". */
  readonly datatype: string;
}

/** Voxel element type sent to the webview; the smallest that holds the values exactly. */
export type VoxelType = 'uint8' | 'int16' | 'float32';

/** Where a volume sits in the world: x-fastest dims and the row-major ijk -> RAS (mm) matrix. */
export interface VolumeGeometry {
  readonly dims: readonly [number, number, number];
  readonly ijkToRas: readonly number[];
  readonly spacing: readonly [number, number, number];
  /** Voxel-axis orientation code, e.g. "LPS". */
  readonly orientation: string;
}

export interface CompactVoxels {
  readonly voxelType: VoxelType;
  readonly voxels: ArrayBuffer;
  readonly range: DisplayRange;
  readonly integerValued: boolean;
}

/**
 * Packs scaled values into the smallest exact type: uint8 for label maps, int16 for CT (half of float32, and what
 * NiiVue uploads fastest), else float32. One pass finds range and integrality; a second converts. The float32 case
 * returns a copy so the caller's buffer stays usable.
 */
export function compactVoxels(data: Float32Array): CompactVoxels {
  let min = Infinity;
  let max = -Infinity;
  let integerValued = true;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
    if (integerValued && v !== Math.trunc(v)) integerValued = false;
  }
  if (data.length === 0) return { voxelType: 'uint8', voxels: new ArrayBuffer(0), range: { min: 0, max: 0 }, integerValued: true };
  const range = { min, max };
  if (integerValued && min >= 0 && max <= 255) return { voxelType: 'uint8', voxels: Uint8Array.from(data).buffer, range, integerValued };
  if (integerValued && min >= -32768 && max <= 32767) return { voxelType: 'int16', voxels: Int16Array.from(data).buffer, range, integerValued };
  return { voxelType: 'float32', voxels: data.slice().buffer, range, integerValued };
}

export function volumeGeometry(source: Pick<ViewerSource, 'dims' | 'ijkToRas'>): VolumeGeometry {
  const dims: [number, number, number] = [source.dims[0] ?? 1, source.dims[1] ?? 1, source.dims[2] ?? 1];
  return { dims, ijkToRas: [...source.ijkToRas], spacing: voxelSpacing(source.ijkToRas), orientation: orientationCode(source.ijkToRas) };
}

const INTEGER_TYPES = new Set(['uint8', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);

export interface FirstPaint {
  readonly geometry: VolumeGeometry;
  readonly slices: readonly SliceImage[];
  readonly defaultWindow: DisplayRange;
  readonly isCt: boolean;
}

/** The first paint: centre slices in neurological orientation, window chosen the way the full viewer chooses it. */
export function firstPaint(source: ViewerSource, fullRange: DisplayRange): FirstPaint {
  const geometry = volumeGeometry(source);
  const grid = { dims: geometry.dims, ijkToRas: source.ijkToRas, data: source.data };
  const map = rasAxisMap(source.ijkToRas);
  const centre = centreIndex(canonicalDims(grid, map));
  const slices = PLANES.map((plane) => extractSlice(grid, map, plane, centre));
  const integerCoded = INTEGER_TYPES.has(source.datatype);
  return { geometry, slices, defaultWindow: defaultRange(source.data, fullRange, integerCoded), isCt: looksLikeCt(fullRange, integerCoded) };
}

/** Whether the stored datatype is an integer type (CT in HU is). */
export function isIntegerDatatype(datatype: string): boolean {
  return INTEGER_TYPES.has(datatype);
}

/** Distinct values of an integer label map (ascending), capped so a mislabelled CT does not build a huge legend. */
export function distinctLabelIds(voxelType: VoxelType, voxels: ArrayBuffer, cap = 1024): number[] {
  if (voxelType === 'float32') return [];
  const values = voxelType === 'uint8' ? new Uint8Array(voxels) : new Int16Array(voxels);
  const offset = voxelType === 'uint8' ? 0 : 32768;
  const seen = new Uint8Array(voxelType === 'uint8' ? 256 : 65536);
  for (let i = 0; i < values.length; i++) seen[(values[i] as number) + offset] = 1;
  const ids: number[] = [];
  for (let v = 0; v < seen.length && ids.length < cap; v++) if (seen[v]) ids.push(v - offset);
  return ids;
}
