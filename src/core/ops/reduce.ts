import type { Value } from '../graph/graph.js';
import { div, mul } from './elementwise.js';
import { type OpDef, ai, apply1, attrBool, attrInts, inputAt, names, normAxes, typeAt } from './op.js';
import { expand, reshape } from './shape.js';

function reduceInfer(inputs: Parameters<OpDef['infer']>[0], attrs: Parameters<OpDef['infer']>[1]): ReturnType<OpDef['infer']> {
  const x = typeAt(inputs, 0);
  const axes = normAxes(attrInts(attrs, 'axes'), x.shape.length);
  const keep = attrBool(attrs, 'keepdims', false);
  const shape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  return [{ dtype: x.dtype, shape }];
}

function reduceOp(type: string, onnx: string, grad: OpDef['grad']): OpDef {
  return {
    type,
    infer: reduceInfer,
    emit: (ctx, n) => {
      const x = inputAt(n.inputs, 0, n.name);
      const axes = normAxes(attrInts(n.attrs, 'axes'), x.shape.length);
      ctx.node(onnx, [x.name, ctx.ints(axes)], names(n.outputs), { keepdims: ai(attrBool(n.attrs, 'keepdims', false) ? 1 : 0) });
    },
    ...(grad ? { grad } : {}),
  };
}

/** dy of a reduction, broadcast back over the reduced axes of x. */
function spread(x: Value, dy: Value, axes: readonly number[]): Value {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return expand(reshape(dy, kept), x.shape);
}

export const reduceSumOp = reduceOp('reduceSum', 'ReduceSum', (n, [dy]) => {
  const x = inputAt(n.inputs, 0, n.name);
  return dy ? [spread(x, dy, normAxes(attrInts(n.attrs, 'axes'), x.shape.length))] : [];
});

export const reduceMeanOp = reduceOp('reduceMean', 'ReduceMean', (n, [dy]) => {
  const x = inputAt(n.inputs, 0, n.name);
  const axes = normAxes(attrInts(n.attrs, 'axes'), x.shape.length);
  const count = axes.reduce((p, a) => p * (x.shape[a] ?? 1), 1);
  return dy ? [spread(x, div(dy, count), axes)] : [];
});

export const reduceMaxOp = reduceOp('reduceMax', 'ReduceMax', undefined);

function allAxes(x: Value): number[] {
  return x.shape.map((_, i) => i);
}

/** Sum over `axes` (all when omitted). */
export function reduceSum(x: Value, axes: readonly number[] = allAxes(x), keepdims = false): Value {
  if (axes.length === 0) return x;
  return apply1(x.graph, reduceSumOp, [x], { axes: [...axes], keepdims });
}
export function reduceMean(x: Value, axes: readonly number[] = allAxes(x), keepdims = false): Value {
  if (axes.length === 0) return x;
  return apply1(x.graph, reduceMeanOp, [x], { axes: [...axes], keepdims });
}
/** Max over axes; not differentiable (use it for metrics and stabilisers). */
export function reduceMax(x: Value, axes: readonly number[] = allAxes(x), keepdims = false): Value {
  return apply1(x.graph, reduceMaxOp, [x], { axes: [...axes], keepdims });
}
/** Sum of squares, composed so its gradient (2 x dy) comes from mul and reduceSum. */
export const sumSquares = (x: Value, axes?: readonly number[], keepdims = false): Value => reduceSum(mul(x, x), axes, keepdims);
