/**
 * vox2vec's contrastive loss (Goncharov et al. 2023; mishgon/vox2vec, ../shared/notes/pretraining.md): symmetric
 * InfoNCE over voxel embeddings of two views. Slot i of view 1 and slot i of view 2 hold the same physical voxel (a
 * positive pair); every other slot of BOTH views is a negative; a slot's similarity with itself is masked out.
 *   l1_i = -log softmax_j([z1_i . z1_j / tau (j != i), z1_i . z2_j / tau])[the column of z2_i]
 *   l2_i = the same with the views swapped;  loss = mean over valid slots of (l1_i + l2_i) / 2
 * Graphs have static shapes, so there are K slots with a 0/1 weight: an empty slot is neither an anchor nor a negative.
 * Embeddings are expected L2-normalised (`l2Normalize`, the projection head's last step), so logits lie in
 * [-1/tau, 1/tau]; masked logits get -1e9, whose exp is exactly 0 in float32 after LogSoftmax's max subtraction.
 * Composite of existing ops (matmul, logSoftmax, ...), so its gradient comes by composition.
 */
import type { Value } from '../graph/graph.js';
import { shapeString } from '../graph/types.js';
import { add, concat, div, expand, logSoftmax, matmul, mul, reduceSum, reshape, slice, sqrt, sub, transpose, zerosLike } from '../ops/index.js';

/** Added to a masked logit: far below any real logit, yet finite, so 0 * mask stays 0 (no NaN from -inf). */
const MASKED = -1e9;

export const VOX2VEC_TEMPERATURE = 0.1;

export interface InfoNceInputs {
  /** Embeddings of the slots in view 1 and view 2, [K, D], L2-normalised along D. */
  readonly z1: Value;
  readonly z2: Value;
  /** 1 for a slot holding a voxel seen in both views, 0 for an empty slot, [K]. */
  readonly weights: Value;
  readonly temperature?: number;
}

/** x / sqrt(sum x^2 + eps) along `axis` (torch.nn.functional.normalize up to where eps enters). */
export function l2Normalize(x: Value, axis: number, eps = 1e-12): Value {
  return div(x, sqrt(add(reduceSum(mul(x, x), [axis], true), eps)));
}

/**
 * The K x K identity as a graph value without a K x K constant: a [K + 1] vector e_0 tiled K times has its ones
 * exactly at the flat indices i * (K + 1) = i * K + i, the diagonal of a K x K matrix (ONNX folds this at load).
 */
function identity(like: Value, k: number): Value {
  const e0 = like.graph.constant('eye_seed', like.dtype, [1, k + 1], Array.from({ length: k + 1 }, (_, i) => (i === 0 ? 1 : 0)));
  return reshape(slice(reshape(expand(e0, [k, k + 1]), [k * (k + 1)]), { starts: [0], ends: [k * k], axes: [0] }), [k, k]);
}

export function infoNce(x: InfoNceInputs): Value {
  const [k, d] = x.z1.shape;
  if (x.z1.shape.length !== 2 || x.z2.shape.length !== 2 || x.z2.shape[0] !== k || x.z2.shape[1] !== d || k === undefined) {
    throw new Error(`infoNce: z1 and z2 must both be [K, D], got ${shapeString(x.z1.shape)} and ${shapeString(x.z2.shape)}`);
  }
  if (x.weights.shape.length !== 1 || x.weights.shape[0] !== k) throw new Error(`infoNce: weights must be [${k}], got ${shapeString(x.weights.shape)}`);
  const invTau = 1 / (x.temperature ?? VOX2VEC_TEMPERATURE);
  const eye = identity(x.z1, k);
  // Column masks: an empty slot is no negative; the self-similarity diagonal is no negative either.
  const emptyColumns = mul(sub(reshape(x.weights, [1, k]), 1), -MASKED); // 0 where valid, MASKED where empty
  const sameView = add(mul(eye, MASKED), emptyColumns);
  const logits = (a: Value, b: Value): Value => mul(matmul(a, transpose(b, [1, 0])), invTau);
  const l11 = add(logits(x.z1, x.z1), sameView);
  const l22 = add(logits(x.z2, x.z2), sameView);
  const l12 = logits(x.z1, x.z2);
  const positives = concat([zerosLike(eye), eye], 1); // [K, 2K]: the positive sits at column K + i of row i
  const term = (same: Value, cross: Value): Value => {
    const logp = logSoftmax(concat([same, add(cross, emptyColumns)], 1), 1);
    return mul(reduceSum(mul(logp, positives), [1], false), -1); // [K]
  };
  const perSlot = add(term(l11, l12), term(l22, transpose(l12, [1, 0])));
  return div(reduceSum(mul(perSlot, x.weights), [0], false), mul(add(reduceSum(x.weights, [0], false), 1e-12), 2));
}
