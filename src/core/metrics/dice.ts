import { BTCV13_CLASSES } from '../btcv.js';
import { PreprocessError } from '../preprocess/grid.js';

/** The protocol's smoothing: Dice = (2|P∩R| + eps) / (|P| + |R| + eps), so a class absent from both scores exactly 1. */
export const DICE_EPS = 1e-5;

/** Dice of two binary masks (any non-zero voxel counts as inside). */
export function diceBinary(pred: Uint8Array, ref: Uint8Array, eps = DICE_EPS): number {
  if (pred.length !== ref.length) throw new PreprocessError(`diceBinary: prediction has ${pred.length} voxels, reference ${ref.length}`);
  let inter = 0, p = 0, r = 0;
  for (let n = 0; n < pred.length; n++) {
    const a = pred[n] !== 0, b = ref[n] !== 0;
    if (a) p++;
    if (b) r++;
    if (a && b) inter++;
  }
  return (2 * inter + eps) / (p + r + eps);
}

/** Dice per class of two label maps, in one pass; `classes` defaults to the BTCV-13 ids 1..13. */
export function dicePerClass(pred: Uint8Array, ref: Uint8Array, classes: readonly number[] = BTCV13_CLASSES, eps = DICE_EPS): number[] {
  if (pred.length !== ref.length) throw new PreprocessError(`dicePerClass: prediction has ${pred.length} voxels, reference ${ref.length}`);
  const inter = new Float64Array(256), p = new Float64Array(256), r = new Float64Array(256);
  for (let n = 0; n < pred.length; n++) {
    const a = pred[n]!, b = ref[n]!;
    p[a]!++;
    r[b]!++;
    if (a === b) inter[a]!++;
  }
  return classes.map((c) => (2 * inter[c]! + eps) / (p[c]! + r[c]! + eps));
}

export { BTCV13_CLASSES };

/** Mean of the finite values (NaN, e.g. an undefined HD95, is left out); NaN when none is finite. */
export function meanFinite(values: readonly number[]): number {
  let sum = 0, n = 0;
  for (const v of values) if (Number.isFinite(v)) { sum += v; n++; }
  return n ? sum / n : NaN;
}
