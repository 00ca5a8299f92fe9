/**
 * APE's self-supervised loss for body-part coordinates (docs/coords.md; ../shared/notes/pretraining.md): two
 * overlapping crops of one CT, embeddings e (3 channels times a learnable per-axis scale) read at sampled voxels of
 * each view, and their positions p in millimetres on the original grid, standardised by view 1's mean and sd.
 *   pdist       = mean over pairs (i in view 1, j in view 2) of (||e_i - e_j|| - ||p_i - p_j||)^2
 *   consistency = mean over the shared body voxels k and the 3 channels of (e^1_k - e^2_k)^2
 *   total       = pdist + consistency
 * Graphs have static shapes, so each view has a fixed number of sample slots with a 0/1 weight (a crop with fewer
 * body voxels leaves slots empty), and the first `shared.length` slots of both views hold the same physical voxels.
 */
import type { Value } from '../graph/graph.js';
import { shapeString } from '../graph/types.js';
import { add, div, gather, mul, pairwiseDistances, reduceSum, reshape, sub, transpose } from '../ops/index.js';

export interface ApeLossInputs {
  /** Embeddings of each view, [3, voxels] (the network's [1, 3, D, H, W] output flattened). */
  readonly emb1: Value;
  readonly emb2: Value;
  /** Flat voxel indices of the sample slots, int64 [K1] and [K2]. */
  readonly idx1: Value;
  readonly idx2: Value;
  /** Standardised positions of the slots, [K1, 3] and [K2, 3]. */
  readonly pos1: Value;
  readonly pos2: Value;
  /** Slot weights (1: a sampled voxel, 0: an empty slot), [K1] and [K2]. */
  readonly w1: Value;
  readonly w2: Value;
  /** Weights of the shared slots 0..S-1 (1 where both views hold the same body voxel), [S]. */
  readonly shared: Value;
}

export interface ApeLoss {
  readonly total: Value;
  readonly pdist: Value;
  readonly consistency: Value;
}

/** Slots x channels: the embeddings read at the sampled voxels. */
function sampled(emb: Value, idx: Value): Value {
  return transpose(gather(emb, idx, 1), [1, 0]);
}

export function apeLoss(x: ApeLossInputs): ApeLoss {
  const k1 = x.idx1.shape[0] ?? 0;
  const k2 = x.idx2.shape[0] ?? 0;
  const s = x.shared.shape[0] ?? 0;
  if (x.emb1.shape[0] !== x.emb2.shape[0] || x.emb1.shape.length !== 2) throw new Error(`apeLoss: embeddings must be [C, voxels] alike, got ${shapeString(x.emb1.shape)} and ${shapeString(x.emb2.shape)}`);
  if (s > Math.min(k1, k2)) throw new Error(`apeLoss: ${s} shared slots but only ${k1} and ${k2} slots per view`);
  const e1 = sampled(x.emb1, x.idx1); // [K1, C]
  const e2 = sampled(x.emb2, x.idx2); // [K2, C]
  const channels = e1.shape[1] ?? 1;

  const pairWeights = mul(reshape(x.w1, [k1, 1]), reshape(x.w2, [1, k2])); // [K1, K2]
  const gap = sub(pairwiseDistances(e1, e2), pairwiseDistances(x.pos1, x.pos2));
  const pdist = div(reduceSum(mul(pairWeights, mul(gap, gap)), [0, 1], false), add(reduceSum(pairWeights, [0, 1], false), 1e-12));

  const firstS = (e: Value, k: number): Value => (s === k ? e : gather(e, sharedSlots(x.shared, s), 0));
  const diff = sub(firstS(e1, k1), firstS(e2, k2)); // [S, C]
  const perSlot = reduceSum(mul(diff, diff), [1], false); // [S]
  const consistency = div(reduceSum(mul(x.shared, perSlot), [0], false), add(mul(reduceSum(x.shared, [0], false), channels), 1e-12));
  return { total: add(pdist, consistency), pdist, consistency };
}

/** int64 [0, 1, ..., s-1] on the graph: the shared slots' rows. */
function sharedSlots(like: Value, s: number): Value {
  return like.graph.constant('shared_slots', 'int64', [s], Array.from({ length: s }, (_, i) => i));
}
