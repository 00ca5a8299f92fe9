import type { GraphNode, Value } from '../graph/graph.js';
import { isFloat, numel, shapeString } from '../graph/types.js';
import { add, div, mul, sub, sumTo } from './elementwise.js';
import { logSoftmax } from './activations.js';
import { type OpDef, ai, apply1, as, inputAt, one, typeAt } from './op.js';
import { reduceMean, reduceSum } from './reduce.js';
import { expand } from './shape.js';

// All losses return a scalar (shape []) mean, so `gradients(loss, params)` needs no seed.

/** Mean squared error; with a mask (broadcastable to pred), the mean over masked elements. */
export function mseLoss(pred: Value, target: Value, mask?: Value): Value {
  const d = sub(pred, target);
  const sq = mul(d, d);
  return mask ? maskedMean(sq, mask) : reduceMean(sq);
}

function maskedMean(x: Value, mask: Value): Value {
  const count = reduceSum(expand(mask, x.shape));
  // + 1e-12 keeps an all-zero mask finite (loss 0) and changes nothing measurable otherwise
  return div(reduceSum(mul(x, mask)), add(count, 1e-12));
}

/**
 * Softmax cross-entropy of logits [N, C, ...] against int64 labels [N, ...], mean over voxels. Emitted as ONNX
 * SoftmaxCrossEntropyLoss (one kernel, also gives log-probabilities for the backward: softmax - onehot).
 */
export const softmaxCrossEntropyOp: OpDef = {
  type: 'softmaxCrossEntropy',
  infer: (inputs) => {
    const z = typeAt(inputs, 0);
    const labels = typeAt(inputs, 1);
    const expect = [z.shape[0], ...z.shape.slice(2)];
    if (!isFloat(z.dtype) || labels.dtype !== 'int64' || labels.shape.length !== expect.length || labels.shape.some((d, i) => d !== expect[i])) {
      throw new Error(`logits ${z.dtype}${shapeString(z.shape)} need int64 labels ${shapeString(expect as number[])}, got ${labels.dtype}${shapeString(labels.shape)}`);
    }
    return [{ dtype: z.dtype, shape: [] }, { dtype: z.dtype, shape: z.shape }];
  },
  emit: (ctx, n) => ctx.node('SoftmaxCrossEntropyLoss', n.inputs.map((v) => v.name), n.outputs.map((v) => v.name), { reduction: as('mean') }),
  grad: (n, [dLoss]) => {
    if (!dLoss) return [];
    const labels = inputAt(n.inputs, 1, n.name);
    const logProb = inputAt(n.outputs, 1, n.name);
    return [apply1(labels.graph, softmaxCrossEntropyGradOp, [dLoss, logProb, labels], {}, 'ce_grad'), undefined];
  },
};

/** Inputs (dLoss [], logProb [N, C, ...], labels); output dlogits = (exp(logProb) - onehot) * dLoss / count. */
export const softmaxCrossEntropyGradOp: OpDef = {
  type: 'softmaxCrossEntropyGrad',
  infer: (inputs) => [{ ...typeAt(inputs, 1) }],
  emit: (ctx, n: GraphNode) => {
    const [dLoss, logProb, labels] = [0, 1, 2].map((i) => inputAt(n.inputs, i, n.name)) as [Value, Value, Value];
    const dt = logProb.dtype;
    const classes = logProb.shape[1] ?? 0;
    const count = numel(labels.shape);
    const [p, hot, diff, scale] = ['p', 'hot', 'diff', 'scale'].map((h) => ctx.temp(h)) as [string, string, string, string];
    ctx.node('Exp', [logProb.name], [p]);
    ctx.node('OneHot', [labels.name, ctx.ints([classes]), ctx.tensor(dt, [2], [0, 1])], [hot], { axis: ai(1) });
    ctx.node('Sub', [p, hot], [diff]);
    ctx.node('Mul', [dLoss.name, ctx.scalar(1 / count, dt)], [scale]);
    ctx.node('Mul', [diff, scale], [one(n.outputs, n.name).name]);
  },
};

export function softmaxCrossEntropy(logits: Value, labels: Value): Value {
  return one(logits.graph.apply(softmaxCrossEntropyOp, [logits, labels], {}, 'ce'), 'softmaxCrossEntropy');
}

/** Cross-entropy against class probabilities / one-hot [N, C, ...] (float): mean over voxels of -sum_c p log q. */
export function softmaxCrossEntropyProbs(logits: Value, probs: Value): Value {
  const perVoxel = reduceSum(mul(probs, logSoftmax(logits, 1)), [1]);
  return mul(reduceMean(perVoxel), -1);
}

/** Elementwise BCE with logits, stable form max(z,0) - z t + log(1 + exp(-|z|)). Outputs one value per element. */
export const bceWithLogitsOp: OpDef = {
  type: 'bceWithLogits',
  infer: (inputs) => {
    const z = typeAt(inputs, 0);
    const t = typeAt(inputs, 1);
    if (z.dtype !== t.dtype || z.shape.length !== t.shape.length || z.shape.some((d, i) => d !== t.shape[i])) throw new Error(`logits ${shapeString(z.shape)} and targets ${shapeString(t.shape)} must match`);
    return [{ ...z }];
  },
  emit: (ctx, n) => {
    const [z, t] = [inputAt(n.inputs, 0, n.name).name, inputAt(n.inputs, 1, n.name).name];
    const [r, zt, a, na, sp, d] = ['relu', 'zt', 'abs', 'nabs', 'softplus', 'd'].map((h) => ctx.temp(h)) as [string, string, string, string, string, string];
    ctx.node('Relu', [z], [r]);
    ctx.node('Mul', [z, t], [zt]);
    ctx.node('Abs', [z], [a]);
    ctx.node('Neg', [a], [na]);
    ctx.node('Softplus', [na], [sp]);
    ctx.node('Sub', [r, zt], [d]);
    ctx.node('Add', [d, sp], [one(n.outputs, n.name).name]);
  },
  grad: (n, [dy]) => {
    if (!dy) return [];
    const z = inputAt(n.inputs, 0, n.name);
    const t = inputAt(n.inputs, 1, n.name);
    return z.graph.apply(bceGradOp, [dy, z, t], {}, 'bce_grad');
  },
};

/** Inputs (dy, z, t); outputs (dz = dy (sigmoid z - t), dt = -dy z). */
export const bceGradOp: OpDef = {
  type: 'bceWithLogitsGrad',
  infer: (inputs) => [{ ...typeAt(inputs, 1) }, { ...typeAt(inputs, 2) }],
  emit: (ctx, n) => {
    const [dy, z, t] = [0, 1, 2].map((i) => inputAt(n.inputs, i, n.name).name) as [string, string, string];
    const [s, d, ndy] = ['s', 'd', 'ndy'].map((h) => ctx.temp(h)) as [string, string, string];
    const [dz, dt] = n.outputs.map((v) => v.name) as [string, string];
    ctx.node('Sigmoid', [z], [s]);
    ctx.node('Sub', [s, t], [d]);
    ctx.node('Mul', [dy, d], [dz]);
    ctx.node('Neg', [dy], [ndy]);
    ctx.node('Mul', [ndy, z], [dt]);
  },
};

/** Mean BCE with logits; with a mask (broadcastable), the mean over masked elements. */
export function bceWithLogits(logits: Value, target: Value, mask?: Value): Value {
  const perElement = apply1(logits.graph, bceWithLogitsOp, [logits, target], {}, 'bce');
  return mask ? maskedMean(perElement, mask) : reduceMean(perElement);
}

export interface SoftDiceOptions {
  /** Broadcastable to probs ([N, 1, ...] for a body mask). */
  readonly mask?: Value;
  readonly eps?: number;
}

/**
 * 1 - mean over classes of (2 sum p t + eps) / (sum p + sum t + eps), sums over batch and space per class
 * (axis 1), inside the mask. Composed from primitives: its gradient comes from theirs.
 */
export function softDiceLoss(probs: Value, target: Value, opts: SoftDiceOptions = {}): Value {
  const eps = opts.eps ?? 1e-5;
  const axes = probs.shape.map((_, i) => i).filter((i) => i !== 1);
  const p = opts.mask ? mul(probs, opts.mask) : probs;
  const t = opts.mask ? sumTo(mul(expand(target, probs.shape), opts.mask), probs.shape) : target;
  const inter = reduceSum(mul(p, t), axes);
  const denom = add(reduceSum(p, axes), reduceSum(t, axes));
  const dice = div(add(mul(inter, 2), eps), add(denom, eps));
  return sub(1, reduceMean(dice));
}
