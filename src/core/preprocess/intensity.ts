import { PreprocessError, type VoxelArray } from './grid.js';

/** vox2vec's BTCV intensity window in HU, mapped linearly to [0, 1]. */
export const DEFAULT_HU_WINDOW: readonly [number, number] = [-1350, 1000];

/** Clips HU to `window` and scales it to [0, 1] (vox2vec's `scale_hu`): lo -> 0, hi -> 1. */
export function clipAndScaleHu(hu: VoxelArray, window: readonly [number, number] = DEFAULT_HU_WINDOW): Float32Array {
  const [lo, hi] = window;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo)) throw new PreprocessError(`clipAndScaleHu: window must be [lo, hi] with hi > lo, got [${lo}, ${hi}]`);
  const out = new Float32Array(hu.length);
  const scale = 1 / (hi - lo);
  for (let n = 0; n < hu.length; n++) {
    const v = hu[n] as number;
    out[n] = v <= lo ? 0 : v >= hi ? 1 : (v - lo) * scale;
  }
  return out;
}
