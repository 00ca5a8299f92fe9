/**
 * A CT as the coordinate model trains on it (APE's preprocessing, ../shared/notes/pretraining.md): HU clipped to
 * [-1000, 300] and scaled to [0, 1], and vox2vec's body mask (air connected to the side faces is outside).
 * Spacing comes from the affine's column lengths; the crops resample, so the grid is used as stored.
 */
import { bodyMask } from '../preprocess/body-mask.js';
import type { VoxelGrid } from '../volume/orientation.js';
import type { VoxelArray } from '../preprocess/grid.js';
import type { CoordsVolume } from './crop-pairs.js';

export const COORDS_HU_WINDOW: readonly [number, number] = [-1000, 300];

export function coordsVolumeOf(ct: VoxelGrid<VoxelArray>): CoordsVolume {
  const [lo, hi] = COORDS_HU_WINDOW;
  const image = new Float32Array(ct.data.length);
  for (let n = 0; n < image.length; n++) {
    const hu = ct.data[n] as number;
    image[n] = hu <= lo ? 0 : hu >= hi ? 1 : (hu - lo) / (hi - lo);
  }
  const m = ct.ijkToRas;
  // Column a of the affine is the world step of index a; its length is the spacing (row-major 4x4).
  const spacing = [0, 1, 2].map((a) => Math.hypot(m[a]!, m[4 + a]!, m[8 + a]!)) as [number, number, number];
  return { image, body: bodyMask(ct), dims: ct.dims, spacing };
}
