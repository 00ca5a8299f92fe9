import type { Graph, GraphNode, Value } from '../graph/graph.js';
import type { Attrs, DType, Shape, TensorType } from '../graph/types.js';
import type { LoweringChoices } from '../lowering.js';

/** An ONNX attribute, typed so ints and floats never get confused. */
export type OnnxAttr =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string };

export const ai = (value: number): OnnxAttr => ({ kind: 'int', value });
export const af = (value: number): OnnxAttr => ({ kind: 'float', value });
export const ais = (value: readonly number[]): OnnxAttr => ({ kind: 'ints', value });
export const as = (value: string): OnnxAttr => ({ kind: 'string', value });

/** What an op's `emit` may do: add ONNX nodes, make temporaries and shared constants. */
export interface EmitContext {
  readonly lowering: LoweringChoices;
  /** A fresh intermediate name unique to the node being emitted. */
  temp(hint: string): string;
  /** Appends an ONNX node (default domain, opset 21). */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs?: Readonly<Record<string, OnnxAttr>>): void;
  /** A shared int64 initializer (shapes, axes, starts). */
  ints(values: readonly number[]): string;
  /** A shared scalar initializer of `dtype` (shape []). */
  scalar(value: number, dtype: DType): string;
  /** Whether a live node or a graph output consumes `v` (lets an op skip emitting an unused extra output). */
  isUsed(v: Value): boolean;
  /** A shared initializer with explicit contents (small lowering weights such as selection matrices). */
  tensor(dtype: DType, shape: Shape, data: readonly number[]): string;
}

/**
 * One primitive op: its shape rule, its ONNX emission and its gradient side by side.
 * `grad` gets the node and the gradients of its outputs (undefined where none flows) and returns the gradients of
 * its inputs (undefined for non-differentiable inputs), built with the op functions on the same graph.
 */
export interface OpDef {
  readonly type: string;
  infer(inputs: readonly TensorType[], attrs: Attrs): TensorType[];
  emit(ctx: EmitContext, node: GraphNode): void;
  grad?(node: GraphNode, dOutputs: readonly (Value | undefined)[]): readonly (Value | undefined)[];
}

export function attrNum(attrs: Attrs, key: string, fallback?: number): number {
  const v = attrs[key];
  if (typeof v === 'number') return v;
  if (v === undefined && fallback !== undefined) return fallback;
  throw new Error(`attribute ${key} must be a number, got ${JSON.stringify(v)}`);
}

export function attrInts(attrs: Attrs, key: string): readonly number[] {
  const v = attrs[key];
  if (Array.isArray(v)) return v as readonly number[];
  throw new Error(`attribute ${key} must be a list of numbers, got ${JSON.stringify(v)}`);
}

export function attrBool(attrs: Attrs, key: string, fallback: boolean): boolean {
  const v = attrs[key];
  if (typeof v === 'boolean') return v;
  if (v === undefined) return fallback;
  throw new Error(`attribute ${key} must be a boolean`);
}

export function one<T>(list: readonly T[], what: string): T {
  const v = list[0];
  if (v === undefined) throw new Error(`${what}: op produced no output`);
  return v;
}

export function inputAt<T>(list: readonly T[], i: number, what: string): T {
  const v = list[i];
  if (v === undefined) throw new Error(`${what}: missing input ${i}`);
  return v;
}

/** Applies `op` and returns its single output. */
export function apply1(g: Graph, op: OpDef, inputs: readonly Value[], attrs: Attrs = {}, opName?: string): Value {
  return one(g.apply(op, inputs, attrs, opName), op.type);
}

/** Normalises possibly negative axes against `rank`, rejecting out-of-range ones. */
export function normAxes(axes: readonly number[], rank: number): number[] {
  return axes.map((a) => {
    const r = a < 0 ? a + rank : a;
    if (!Number.isInteger(r) || r < 0 || r >= rank) throw new Error(`axis ${a} out of range for rank ${rank}`);
    return r;
  });
}

export function sameType(a: TensorType): TensorType[] {
  return [{ dtype: a.dtype, shape: a.shape }];
}

export function typeAt(list: readonly TensorType[], i: number): TensorType {
  const t = list[i];
  if (!t) throw new Error(`expected at least ${i + 1} inputs, got ${list.length}`);
  return t;
}

export function names(vs: readonly Value[]): string[] {
  return vs.map((v) => v.name);
}
