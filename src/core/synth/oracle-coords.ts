import type { Mat4 } from '../volume/mat4.js';

/**
 * The generator's exact body-part coordinates (issue 11, `pretrain --coords oracle`): for every voxel of a synthetic
 * CT, the point (RAS mm) of the SOURCE label map that the deformation maps it to. All cases drawn from one label map
 * share that map's frame, so these are coordinates in a fixed atlas frame: an identity deformation gives each voxel
 * its own physical position, and a voxel of a deformed case gets the position its anatomy has in the atlas.
 */

/**
 * Continuous source voxel indices (3 x count, channel-major, from deformLabels' `sourceIjk`) to RAS mm of the source
 * grid, in place: ras = ijkToRas * ijk (row-major 4x4).
 */
export function sourceIjkToRas(field: Float32Array, ijkToRas: Mat4): Float32Array {
  const count = field.length / 3;
  if (!Number.isInteger(count)) throw new RangeError(`sourceIjkToRas: ${field.length} values are not 3 channels`);
  const m = ijkToRas;
  for (let n = 0; n < count; n++) {
    const i = field[n]!, j = field[count + n]!, k = field[2 * count + n]!;
    field[n] = m[0]! * i + m[1]! * j + m[2]! * k + m[3]!;
    field[count + n] = m[4]! * i + m[5]! * j + m[6]! * k + m[7]!;
    field[2 * count + n] = m[8]! * i + m[9]! * j + m[10]! * k + m[11]!;
  }
  return field;
}
