import type { Value } from '../graph/graph.js';
import { type Shape, type TensorType, numel, shapeString } from '../graph/types.js';
import { sumTo } from './elementwise.js';
import { type OpDef, ai, ais, apply1, attrInts, attrNum, inputAt, names, normAxes, one, typeAt } from './op.js';

function resolveReshape(from: Shape, to: readonly number[]): number[] {
  const known = to.filter((d) => d !== -1);
  const unknown = to.length - known.length;
  if (unknown > 1) throw new Error(`reshape target ${shapeString(to)} has more than one -1`);
  const total = numel(from);
  const knownSize = numel(known);
  const out = to.map((d) => (d === -1 ? (knownSize === 0 ? 0 : total / knownSize) : d));
  if (out.some((d) => !Number.isInteger(d) || d < 0) || numel(out) !== total) {
    throw new Error(`cannot reshape ${shapeString(from)} (${total} elements) to ${shapeString(to)}`);
  }
  return out;
}

export const reshapeOp: OpDef = {
  type: 'reshape',
  infer: (inputs, attrs) => {
    const x = typeAt(inputs, 0);
    return [{ dtype: x.dtype, shape: resolveReshape(x.shape, attrInts(attrs, 'shape')) }];
  },
  emit: (ctx, n) => {
    const y = one(n.outputs, n.name);
    ctx.node('Reshape', [inputAt(n.inputs, 0, n.name).name, ctx.ints(y.shape)], [y.name]);
  },
  grad: (n, [dy]) => [dy ? reshape(dy, inputAt(n.inputs, 0, n.name).shape) : undefined],
};

/** Reshape; one -1 is inferred. A no-op when the shape already matches. */
export function reshape(x: Value, shape: readonly number[]): Value {
  if (shape.length === x.shape.length && shape.every((d, i) => d === x.shape[i])) return x;
  return apply1(x.graph, reshapeOp, [x], { shape: [...shape] });
}

function invertPerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length).fill(0);
  perm.forEach((p, i) => { inv[p] = i; });
  return inv;
}

/** A transpose that only moves size-1 axes keeps memory order: emit a Reshape instead (no copy). */
function isReshapeEquivalent(shape: Shape, perm: readonly number[]): boolean {
  const moved = perm.filter((p) => (shape[p] ?? 1) !== 1);
  return moved.every((p, i) => i === 0 || p > (moved[i - 1] ?? -1));
}

export const transposeOp: OpDef = {
  type: 'transpose',
  infer: (inputs, attrs) => {
    const x = typeAt(inputs, 0);
    const perm = attrInts(attrs, 'perm');
    const sorted = [...perm].sort((a, b) => a - b);
    if (perm.length !== x.shape.length || sorted.some((p, i) => p !== i)) throw new Error(`perm ${shapeString(perm)} is not a permutation of rank ${x.shape.length}`);
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p] ?? 0) }];
  },
  emit: (ctx, n) => {
    const x = inputAt(n.inputs, 0, n.name);
    const y = one(n.outputs, n.name);
    const perm = attrInts(n.attrs, 'perm');
    // Measured: at batch 1 swapping axes 0 and 1 is a Reshape; a Reshape is free where a Transpose copies.
    if (isReshapeEquivalent(x.shape, perm)) ctx.node('Reshape', [x.name, ctx.ints(y.shape)], [y.name]);
    else ctx.node('Transpose', [x.name], [y.name], { perm: ais(perm) });
  },
  grad: (n, [dy]) => [dy ? transpose(dy, invertPerm(attrInts(n.attrs, 'perm'))) : undefined],
};

export function transpose(x: Value, perm: readonly number[]): Value {
  if (perm.every((p, i) => p === i)) return x;
  return apply1(x.graph, transposeOp, [x], { perm: [...perm] });
}

export const expandOp: OpDef = {
  type: 'expand',
  infer: (inputs, attrs) => {
    const x = typeAt(inputs, 0);
    const shape = attrInts(attrs, 'shape');
    const lead = shape.length - x.shape.length;
    if (lead < 0 || x.shape.some((d, i) => d !== 1 && d !== shape[i + lead])) throw new Error(`cannot expand ${shapeString(x.shape)} to ${shapeString(shape)}`);
    return [{ dtype: x.dtype, shape }];
  },
  emit: (ctx, n) => {
    const y = one(n.outputs, n.name);
    ctx.node('Expand', [inputAt(n.inputs, 0, n.name).name, ctx.ints(y.shape)], [y.name]);
  },
  grad: (n, [dy]) => [dy ? sumTo(dy, inputAt(n.inputs, 0, n.name).shape) : undefined],
};

/** Broadcasts `x` to `shape`. */
export function expand(x: Value, shape: readonly number[]): Value {
  if (shape.length === x.shape.length && shape.every((d, i) => d === x.shape[i])) return x;
  return apply1(x.graph, expandOp, [x], { shape: [...shape] });
}

export const identityOp: OpDef = {
  type: 'identity',
  infer: (inputs) => [{ ...typeAt(inputs, 0) }],
  emit: (ctx, n) => ctx.node('Identity', names(n.inputs), names(n.outputs)),
  grad: (_n, [dy]) => [dy],
};
/** A copy under a new name: graph outputs that are inputs (frozen params) need one. */
export const identity = (x: Value, opName?: string): Value => apply1(x.graph, identityOp, [x], {}, opName);

export const concatOp: OpDef = {
  type: 'concat',
  infer: (inputs, attrs) => {
    const first = typeAt(inputs, 0);
    const [axis] = normAxes([attrNum(attrs, 'axis')], first.shape.length);
    const out = [...first.shape];
    let total = 0;
    for (const t of inputs) {
      if (t.dtype !== first.dtype || t.shape.length !== first.shape.length || t.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
        throw new Error(`concat inputs disagree off axis ${axis}: ${shapeString(first.shape)} vs ${shapeString(t.shape)}`);
      }
      total += t.shape[axis ?? 0] ?? 0;
    }
    out[axis ?? 0] = total;
    return [{ dtype: first.dtype, shape: out }];
  },
  emit: (ctx, n) => ctx.node('Concat', names(n.inputs), names(n.outputs), { axis: ai(normAxes([attrNum(n.attrs, 'axis')], n.inputs[0]?.shape.length ?? 0)[0] ?? 0) }),
  grad: (n, [dy]) => {
    if (!dy) return [];
    const axis = normAxes([attrNum(n.attrs, 'axis')], dy.shape.length)[0] ?? 0;
    let start = 0;
    return n.inputs.map((x) => {
      const size = x.shape[axis] ?? 0;
      const part = slice(dy, { starts: [start], ends: [start + size], axes: [axis] });
      start += size;
      return part;
    });
  },
};

export function concat(xs: readonly Value[], axis: number): Value {
  const first = xs[0];
  if (!first) throw new Error('concat of no values');
  if (xs.length === 1) return first;
  return apply1(first.graph, concatOp, xs, { axis });
}

export interface SliceSpec {
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  readonly axes: readonly number[];
  readonly steps?: readonly number[];
}

function sliceOutShape(shape: Shape, starts: readonly number[], ends: readonly number[], axes: readonly number[], steps: readonly number[]): number[] {
  const out = [...shape];
  axes.forEach((a, i) => {
    const dim = shape[a] ?? 0;
    const step = steps[i] ?? 1;
    if (step <= 0) throw new Error('slice steps must be positive');
    const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
    const s = clamp(starts[i] ?? 0);
    const e = clamp(ends[i] ?? dim);
    out[a] = Math.max(0, Math.ceil((e - s) / step));
  });
  return out;
}

export const sliceOp: OpDef = {
  type: 'slice',
  infer: (inputs, attrs) => {
    const x = typeAt(inputs, 0);
    const axes = normAxes(attrInts(attrs, 'axes'), x.shape.length);
    const starts = attrInts(attrs, 'starts');
    const ends = attrInts(attrs, 'ends');
    const steps = attrs.steps === undefined ? axes.map(() => 1) : attrInts(attrs, 'steps');
    if (starts.length !== axes.length || ends.length !== axes.length || steps.length !== axes.length) throw new Error('slice starts/ends/axes/steps lengths differ');
    return [{ dtype: x.dtype, shape: sliceOutShape(x.shape, starts, ends, axes, steps) }];
  },
  emit: (ctx, n) => {
    const x = inputAt(n.inputs, 0, n.name);
    const axes = normAxes(attrInts(n.attrs, 'axes'), x.shape.length);
    const steps = n.attrs.steps === undefined ? axes.map(() => 1) : attrInts(n.attrs, 'steps');
    ctx.node('Slice', [x.name, ctx.ints(attrInts(n.attrs, 'starts')), ctx.ints(attrInts(n.attrs, 'ends')), ctx.ints(axes), ctx.ints(steps)], names(n.outputs));
  },
  grad: (n, [dy]) => {
    if (!dy) return [];
    const x = inputAt(n.inputs, 0, n.name);
    const axes = normAxes(attrInts(n.attrs, 'axes'), x.shape.length);
    const steps = n.attrs.steps === undefined ? axes.map(() => 1) : attrInts(n.attrs, 'steps');
    if (steps.some((s) => s !== 1)) throw new Error(`gradient of a strided slice (${n.name}) is not supported`);
    const starts = attrInts(n.attrs, 'starts');
    const before = x.shape.map(() => 0);
    const after = x.shape.map(() => 0);
    axes.forEach((a, i) => {
      const dim = x.shape[a] ?? 0;
      const s0 = starts[i] ?? 0;
      const s = Math.min(Math.max(s0 < 0 ? s0 + dim : s0, 0), dim);
      before[a] = s;
      after[a] = dim - s - (dy.shape[a] ?? 0);
    });
    return [pad(dy, before, after)];
  },
};

export function slice(x: Value, spec: SliceSpec): Value {
  const attrs = { starts: [...spec.starts], ends: [...spec.ends], axes: [...spec.axes], ...(spec.steps ? { steps: [...spec.steps] } : {}) };
  return apply1(x.graph, sliceOp, [x], attrs);
}

export const padOp: OpDef = {
  type: 'pad',
  infer: (inputs, attrs) => {
    const x = typeAt(inputs, 0);
    const b = attrInts(attrs, 'before');
    const a = attrInts(attrs, 'after');
    if (b.length !== x.shape.length || a.length !== x.shape.length || [...a, ...b].some((p) => p < 0)) throw new Error('pad needs non-negative before/after per axis');
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => d + (b[i] ?? 0) + (a[i] ?? 0)) }];
  },
  emit: (ctx, n) => ctx.node('Pad', [inputAt(n.inputs, 0, n.name).name, ctx.ints([...attrInts(n.attrs, 'before'), ...attrInts(n.attrs, 'after')])], names(n.outputs)),
  grad: (n, [dy]) => {
    if (!dy) return [];
    const x = inputAt(n.inputs, 0, n.name);
    const b = attrInts(n.attrs, 'before');
    const axes = x.shape.map((_, i) => i);
    return [slice(dy, { starts: axes.map((i) => b[i] ?? 0), ends: axes.map((i) => (b[i] ?? 0) + (x.shape[i] ?? 0)), axes })];
  },
};

/** Zero padding with per-axis counts before and after. */
export function pad(x: Value, before: readonly number[], after: readonly number[]): Value {
  if ([...before, ...after].every((p) => p === 0)) return x;
  return apply1(x.graph, padOp, [x], { before: [...before], after: [...after] });
}

export const zerosOp: OpDef = {
  type: 'zeros',
  infer: (_inputs, attrs) => [{ dtype: (attrs.dtype as TensorType['dtype']) ?? 'float32', shape: attrInts(attrs, 'shape') }],
  emit: (ctx, n) => {
    const y = one(n.outputs, n.name);
    ctx.node('Expand', [ctx.scalar(0, y.dtype), ctx.ints(y.shape)], [y.name]);
  },
};
export const zerosLike = (x: Value): Value => apply1(x.graph, zerosOp, [], { shape: [...x.shape], dtype: x.dtype });

export function flatten(x: Value, axis = 1): Value {
  const lead = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
  return reshape(x, [lead, -1]);
}
