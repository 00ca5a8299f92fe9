import { PreprocessError, type VoxelArray } from './grid.js';

/**
 * A label map as uint8 class ids. NIfTI readers hand labels over as float32; anything that is not an integer in 0..255
 * is a wrong file (an image passed as labels), so it throws with the first offending voxel.
 */
export function toLabelArray(data: VoxelArray, what = 'labels'): Uint8Array {
  if (data instanceof Uint8Array) return data;
  const out = new Uint8Array(data.length);
  for (let n = 0; n < data.length; n++) {
    const v = data[n] as number;
    if (!(v >= 0 && v <= 255 && Number.isInteger(v))) throw new PreprocessError(`${what}: voxel ${n} holds ${v}; a label map needs integer class ids 0..255`);
    out[n] = v;
  }
  return out;
}

/** Class ids present in a label map (background 0 excluded), ascending. */
export function presentClasses(labels: Uint8Array): number[] {
  const seen = new Uint8Array(256);
  for (let n = 0; n < labels.length; n++) seen[labels[n] as number] = 1;
  const out: number[] = [];
  for (let c = 1; c < 256; c++) if (seen[c]) out.push(c);
  return out;
}

/** Label ids in a map (background 0 excluded) that are not among `classes`, with their voxel counts, ascending. */
export function labelsOutside(labels: Uint8Array, classes: readonly number[]): { readonly id: number; readonly voxels: number }[] {
  const counts = new Float64Array(256);
  for (let n = 0; n < labels.length; n++) counts[labels[n] as number]!++;
  const listed = new Set(classes);
  const out: { id: number; voxels: number }[] = [];
  for (let c = 1; c < 256; c++) if (counts[c]! > 0 && !listed.has(c)) out.push({ id: c, voxels: counts[c]! });
  return out;
}
