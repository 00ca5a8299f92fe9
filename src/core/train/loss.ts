import type { Graph, Value } from '../graph/graph.js';
import type { DType, Shape } from '../graph/types.js';
import { add, bceWithLogits, mseLoss, sigmoid, softDiceLoss, softmaxCrossEntropy } from '../ops/index.js';

/**
 * The training objective and the data inputs it needs.
 * - softmax-ce: `labels` int64 [N, D, H, W] class indices, mean over voxels.
 * - mse: `target` float [N, K, D, H, W].
 * - bce-dice: vox2vec's head loss, BCE + mean per-class soft Dice on K sigmoid channels, `target` float
 *   [N, K, D, H, W] in {0,1} and `mask` float [N, 1, D, H, W] (the body mask).
 */
export type LossConfig = { readonly kind: 'softmax-ce' } | { readonly kind: 'mse' } | { readonly kind: 'bce-dice' };

export interface DataInputSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
}

/** The data inputs (besides `image`) a loss needs, for logits of shape `logitsShape`. */
export function lossInputs(loss: LossConfig, logitsShape: Shape): DataInputSpec[] {
  const [n = 1, , d = 1, h = 1, w = 1] = logitsShape;
  switch (loss.kind) {
    case 'softmax-ce': return [{ name: 'labels', dtype: 'int64', shape: [n, d, h, w] }];
    case 'mse': return [{ name: 'target', dtype: 'float32', shape: logitsShape }];
    case 'bce-dice': return [
      { name: 'target', dtype: 'float32', shape: logitsShape },
      { name: 'mask', dtype: 'float32', shape: [n, 1, d, h, w] },
    ];
  }
}

/** Appends the loss under scope `loss`; creates its data inputs (role 'data'). Returns the scalar loss. */
export function appendLoss(g: Graph, logits: Value, loss: LossConfig): Value {
  const inputs = lossInputs(loss, logits.shape).map((s) => g.input(s.name, s.dtype, s.shape, 'data'));
  const [first, second] = inputs;
  if (!first) throw new Error(`loss ${loss.kind}: no data input`);
  return g.scope('loss', () => {
    switch (loss.kind) {
      case 'softmax-ce': return softmaxCrossEntropy(logits, first);
      case 'mse': return mseLoss(logits, first);
      case 'bce-dice': {
        if (!second) throw new Error('bce-dice: no mask input');
        return add(bceWithLogits(logits, first, second), softDiceLoss(sigmoid(logits), first, { mask: second }));
      }
    }
  });
}
