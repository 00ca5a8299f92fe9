import type { Value } from '../graph/graph.js';
import { isFloat, shapeString } from '../graph/types.js';
import { add, mul, sub } from './elementwise.js';
import { relu } from './activations.js';
import { matmul } from './linear.js';
import { type OpDef, ai, as, apply1, attrInts, attrNum, inputAt, one, typeAt } from './op.js';
import { reduceSum } from './reduce.js';
import { transpose } from './shape.js';

/**
 * `x` indexed along `axis` by a 1-D int64 `indices` (ONNX Gather): the sampled voxels of a feature map for APE's
 * distance loss and vox2vec's InfoNCE. Repeated indices are allowed; their gradients add up.
 */
export const gatherOp: OpDef = {
  type: 'gather',
  infer: (inputs, attrs) => {
    const x = typeAt(inputs, 0);
    const idx = typeAt(inputs, 1);
    const axis = attrNum(attrs, 'axis');
    if (idx.dtype !== 'int64' || idx.shape.length !== 1) throw new Error(`gather needs 1-D int64 indices, got ${idx.dtype} ${shapeString(idx.shape)}`);
    if (!Number.isInteger(axis) || axis < 0 || axis >= x.shape.length) throw new Error(`gather axis ${axis} out of range for ${shapeString(x.shape)}`);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? (idx.shape[0] ?? 0) : d)) }];
  },
  emit: (ctx, n) => ctx.node('Gather', [inputAt(n.inputs, 0, n.name).name, inputAt(n.inputs, 1, n.name).name], [one(n.outputs, n.name).name], { axis: ai(attrNum(n.attrs, 'axis')) }),
  grad: (n, [dy]) => {
    if (!dy) return [];
    const x = inputAt(n.inputs, 0, n.name);
    const idx = inputAt(n.inputs, 1, n.name);
    return [apply1(x.graph, gatherGradOp, [dy, idx], { axis: attrNum(n.attrs, 'axis'), inShape: [...x.shape] }, 'gather_dx'), undefined];
  },
};

/** The gradient of gather: dy scatter-added into zeros of the input's shape (ScatterElements, reduction add). */
export const gatherGradOp: OpDef = {
  type: 'gatherGrad',
  infer: (inputs, attrs) => [{ dtype: typeAt(inputs, 0).dtype, shape: attrInts(attrs, 'inShape') }],
  emit: (ctx, n) => {
    const [dy, idx] = [inputAt(n.inputs, 0, n.name), inputAt(n.inputs, 1, n.name)];
    const axis = attrNum(n.attrs, 'axis');
    const inShape = attrInts(n.attrs, 'inShape');
    const [zeros, idxShaped, idxFull] = ['zeros', 'idx', 'idx_full'].map((h) => ctx.temp(h)) as [string, string, string];
    ctx.node('Expand', [ctx.scalar(0, dy.dtype), ctx.ints(inShape)], [zeros]);
    // ScatterElements wants indices of the updates' shape: the index vector placed on `axis`, broadcast elsewhere.
    ctx.node('Reshape', [idx.name, ctx.ints(dy.shape.map((d, i) => (i === axis ? d : 1)))], [idxShaped]);
    ctx.node('Expand', [idxShaped, ctx.ints(dy.shape)], [idxFull]);
    ctx.node('ScatterElements', [zeros, idxFull, dy.name], [one(n.outputs, n.name).name], { axis: ai(axis), reduction: as('add') });
  },
};

export function gather(x: Value, indices: Value, axis: number): Value {
  return apply1(x.graph, gatherOp, [x, indices], { axis }, 'gather');
}

/**
 * sqrt(max(x, 0)) whose gradient is finite everywhere: 0.5 / sqrt(max(x, eps)). A distance between two embeddings of
 * the same physical point is 0 in exact arithmetic (and a hair below after rounding); sqrt's gradient there is
 * infinite, which would turn one coincident pair into NaN weights. torch.cdist defines that gradient as 0; here it is
 * bounded by 0.5 / sqrt(eps) times the distance's own gradient, which is itself ~0 there.
 */
export const safeSqrtOp: OpDef = {
  type: 'safeSqrt',
  infer: (inputs) => {
    const x = typeAt(inputs, 0);
    if (!isFloat(x.dtype)) throw new Error(`safeSqrt needs floats, got ${x.dtype}`);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  emit: (ctx, n) => {
    const x = inputAt(n.inputs, 0, n.name);
    const clamped = ctx.temp('clamped');
    ctx.node('Relu', [x.name], [clamped]);
    ctx.node('Sqrt', [clamped], [one(n.outputs, n.name).name]);
  },
  grad: (n, [dy]) => {
    if (!dy) return [];
    const x = inputAt(n.inputs, 0, n.name);
    return [apply1(x.graph, safeSqrtGradOp, [dy, x], { eps: attrNum(n.attrs, 'eps') }, 'safesqrt_dx')];
  },
};

export const safeSqrtGradOp: OpDef = {
  type: 'safeSqrtGrad',
  infer: (inputs) => [{ dtype: typeAt(inputs, 0).dtype, shape: typeAt(inputs, 0).shape }],
  emit: (ctx, n) => {
    const [dy, x] = [inputAt(n.inputs, 0, n.name), inputAt(n.inputs, 1, n.name)];
    const [floor, root] = [ctx.temp('floor'), ctx.temp('root')];
    ctx.node('Max', [x.name, ctx.scalar(attrNum(n.attrs, 'eps'), x.dtype)], [floor]);
    ctx.node('Sqrt', [floor], [root]);
    const half = ctx.temp('half');
    ctx.node('Mul', [dy.name, ctx.scalar(0.5, dy.dtype)], [half]);
    ctx.node('Div', [half, root], [one(n.outputs, n.name).name]);
  },
};

export function safeSqrt(x: Value, eps = 1e-12): Value {
  return apply1(x.graph, safeSqrtOp, [x], { eps }, 'safesqrt');
}

/**
 * Euclidean distances between the rows of a [M, D] and b [N, D], as [M, N], through one MatMul:
 * ||a_i||^2 + ||b_j||^2 - 2 a_i.b_j (what torch.cdist does for large inputs), clamped at 0 and square-rooted safely.
 */
export function pairwiseDistances(a: Value, b: Value, eps = 1e-12): Value {
  if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== b.shape[1]) throw new Error(`pairwiseDistances needs [M, D] and [N, D], got ${shapeString(a.shape)} and ${shapeString(b.shape)}`);
  const aa = reduceSum(mul(a, a), [1], true); // [M, 1]
  const bb = transpose(reduceSum(mul(b, b), [1], true), [1, 0]); // [1, N]
  const ab = matmul(a, transpose(b, [1, 0])); // [M, N]
  return safeSqrt(relu(sub(add(aa, bb), mul(ab, 2))), eps);
}



