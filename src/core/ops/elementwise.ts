import type { Graph, GraphNode, Value } from '../graph/graph.js';
import { type DType, type Shape, type TensorType, isFloat, shapeString } from '../graph/types.js';
import { type OpDef, af, apply1, inputAt, names, one, sameType, typeAt, type EmitContext } from './op.js';
import { reduceSum } from './reduce.js';
import { reshape } from './shape.js';

/** Numpy broadcasting of two static shapes. */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`shapes ${shapeString(a)} and ${shapeString(b)} do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Sums `x` over the axes that broadcasting expanded so the result has `shape` (the gradient of a broadcast). */
export function sumTo(x: Value, shape: Shape): Value {
  if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  const lead = x.shape.length - shape.length;
  if (lead < 0) throw new Error(`sumTo: cannot sum ${shapeString(x.shape)} to larger rank ${shapeString(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < x.shape.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length ? reduceSum(x, axes, true) : x;
  return reshape(summed, shape);
}

function binaryInfer(inputs: readonly TensorType[]): TensorType[] {
  const a = typeAt(inputs, 0);
  const b = typeAt(inputs, 1);
  if (a.dtype !== b.dtype) throw new Error(`dtypes differ: ${a.dtype} vs ${b.dtype}`);
  return [{ dtype: a.dtype, shape: broadcastShapes(a.shape, b.shape) }];
}

function binaryOp(type: string, onnx: string, grad: OpDef['grad']): OpDef {
  return {
    type,
    infer: binaryInfer,
    emit: (ctx, n) => ctx.node(onnx, names(n.inputs), names(n.outputs)),
    ...(grad ? { grad } : {}),
  };
}

const io = (n: GraphNode): [Value, Value, Value] => [inputAt(n.inputs, 0, n.name), inputAt(n.inputs, 1, n.name), one(n.outputs, n.name)];

export const addOp = binaryOp('add', 'Add', (n, [dy]) => {
  const [a, b] = io(n);
  return dy ? [sumTo(dy, a.shape), sumTo(dy, b.shape)] : [];
});
export const subOp = binaryOp('sub', 'Sub', (n, [dy]) => {
  const [a, b] = io(n);
  return dy ? [sumTo(dy, a.shape), sumTo(neg(dy), b.shape)] : [];
});
export const mulOp = binaryOp('mul', 'Mul', (n, [dy]) => {
  const [a, b] = io(n);
  return dy ? [sumTo(mul(dy, b), a.shape), sumTo(mul(dy, a), b.shape)] : [];
});
export const divOp = binaryOp('div', 'Div', (n, [dy]) => {
  const [a, b, y] = io(n);
  return dy ? [sumTo(div(dy, b), a.shape), sumTo(neg(div(mul(dy, y), b)), b.shape)] : [];
});
export const powOp: OpDef = {
  type: 'pow',
  infer: binaryInfer,
  emit: (ctx, n) => ctx.node('Pow', names(n.inputs), names(n.outputs)),
  grad: (n, [dy]) => {
    const [a, p, y] = io(n);
    if (!dy) return [];
    return [sumTo(mul(dy, mul(p, div(y, a))), a.shape), undefined];
  },
};

type Operand = Value | number;

function graphOf(a: Operand, b: Operand): Graph {
  if (typeof a !== 'number') return a.graph;
  if (typeof b !== 'number') return b.graph;
  throw new Error('an elementwise op needs at least one Value operand');
}

function dtypeOf(a: Operand, b: Operand): DType {
  if (typeof a !== 'number') return a.dtype;
  if (typeof b !== 'number') return b.dtype;
  return 'float32';
}

/** A scalar constant (shape []) on graph `g`. */
export function scalar(g: Graph, value: number, dtype: DType = 'float32'): Value {
  return g.constant('scalar', dtype, [], [value]);
}

function operands(a: Operand, b: Operand): [Graph, Value, Value] {
  const g = graphOf(a, b);
  const dt = dtypeOf(a, b);
  return [g, typeof a === 'number' ? scalar(g, a, dt) : a, typeof b === 'number' ? scalar(g, b, dt) : b];
}

export function add(a: Operand, b: Operand): Value {
  const [g, x, y] = operands(a, b);
  return apply1(g, addOp, [x, y]);
}
export function sub(a: Operand, b: Operand): Value {
  const [g, x, y] = operands(a, b);
  return apply1(g, subOp, [x, y]);
}
export function mul(a: Operand, b: Operand): Value {
  const [g, x, y] = operands(a, b);
  return apply1(g, mulOp, [x, y]);
}
export function div(a: Operand, b: Operand): Value {
  const [g, x, y] = operands(a, b);
  return apply1(g, divOp, [x, y]);
}
/** x ** p for a constant exponent (the exponent gets no gradient). */
export function pow(x: Value, p: number): Value {
  const [g, a, b] = operands(x, p);
  return apply1(g, powOp, [a, b]);
}

// ---- unary ----

function unaryOp(type: string, onnx: string, grad: (x: Value, y: Value, dy: Value) => Value, attrs?: (n: GraphNode) => Record<string, ReturnType<typeof af>>): OpDef {
  return {
    type,
    infer: (inputs) => {
      const x = typeAt(inputs, 0);
      if (!isFloat(x.dtype)) throw new Error(`${type} needs a float input, got ${x.dtype}`);
      return sameType(x);
    },
    emit: (ctx, n) => ctx.node(onnx, names(n.inputs), names(n.outputs), attrs?.(n)),
    grad: (n, [dy]) => (dy ? [grad(inputAt(n.inputs, 0, n.name), one(n.outputs, n.name), dy)] : []),
  };
}

export const negOp = unaryOp('neg', 'Neg', (_x, _y, dy) => neg(dy));
export const expOp = unaryOp('exp', 'Exp', (_x, y, dy) => mul(dy, y));
export const logOp = unaryOp('log', 'Log', (x, _y, dy) => div(dy, x));
export const sqrtOp = unaryOp('sqrt', 'Sqrt', (_x, y, dy) => div(mul(dy, 0.5), y));
export const tanhOp = unaryOp('tanh', 'Tanh', (_x, y, dy) => mul(dy, sub(1, mul(y, y))));
export const absOp = unaryOp('abs', 'Abs', (x, _y, dy) => mul(dy, sign(x)));
export const signOp: OpDef = { ...unaryOp('sign', 'Sign', (_x, _y, dy) => dy), grad: () => [undefined] };

export const neg = (x: Value): Value => apply1(x.graph, negOp, [x]);
export const exp = (x: Value): Value => apply1(x.graph, expOp, [x]);
export const log = (x: Value): Value => apply1(x.graph, logOp, [x]);
export const sqrt = (x: Value): Value => apply1(x.graph, sqrtOp, [x]);
export const tanh = (x: Value): Value => apply1(x.graph, tanhOp, [x]);
export const abs = (x: Value): Value => apply1(x.graph, absOp, [x]);
export const sign = (x: Value): Value => apply1(x.graph, signOp, [x]);
export const square = (x: Value): Value => mul(x, x);

// ---- comparison, selection, casts (no gradient through the condition) ----

export const greaterOp: OpDef = {
  type: 'greater',
  infer: (inputs) => [{ dtype: 'bool', shape: one(binaryInfer(inputs), 'greater').shape }],
  emit: (ctx, n) => ctx.node('Greater', names(n.inputs), names(n.outputs)),
  grad: () => [undefined, undefined],
};
export const greater = (a: Value, b: Value | number): Value => {
  const [g, x, y] = operands(a, b);
  return apply1(g, greaterOp, [x, y]);
};

export const whereOp: OpDef = {
  type: 'where',
  infer: (inputs) => {
    const c = typeAt(inputs, 0);
    if (c.dtype !== 'bool') throw new Error(`where condition must be bool, got ${c.dtype}`);
    const ab = one(binaryInfer(inputs.slice(1)), 'where');
    return [{ dtype: ab.dtype, shape: broadcastShapes(c.shape, ab.shape) }];
  },
  emit: (ctx, n) => ctx.node('Where', names(n.inputs), names(n.outputs)),
  grad: (n, [dy]) => {
    if (!dy) return [];
    const [c, a, b] = [inputAt(n.inputs, 0, n.name), inputAt(n.inputs, 1, n.name), inputAt(n.inputs, 2, n.name)];
    return [undefined, sumTo(where(c, dy, 0), a.shape), sumTo(where(c, 0, dy), b.shape)];
  },
};
export function where(cond: Value, a: Operand, b: Operand): Value {
  const [, x, y] = operands(a, b);
  return apply1(cond.graph, whereOp, [cond, x, y]);
}

export const castOp: OpDef = {
  type: 'cast',
  infer: (inputs, attrs) => [{ dtype: attrs.to as DType, shape: typeAt(inputs, 0).shape }],
  emit: (ctx: EmitContext, n) => ctx.node('Cast', names(n.inputs), names(n.outputs), { to: { kind: 'int', value: onnxTypeCode(n.attrs.to as DType) } }),
  grad: (n, [dy]) => {
    const x = inputAt(n.inputs, 0, n.name);
    return [dy && isFloat(x.dtype) && isFloat(dy.dtype) ? cast(dy, x.dtype) : undefined];
  },
};
export const cast = (x: Value, to: DType): Value => (x.dtype === to ? x : apply1(x.graph, castOp, [x], { to }));

/** ONNX TensorProto.DataType codes. */
export function onnxTypeCode(dtype: DType): number {
  switch (dtype) {
    case 'float32': return 1;
    case 'uint8': return 2;
    case 'int32': return 6;
    case 'int64': return 7;
    case 'bool': return 9;
    case 'float16': return 10;
    case 'float64': return 11;
  }
}
