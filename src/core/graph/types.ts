/** Element types the engine emits. float16 is kept open for CUDA; CPU work is float32. */
export type DType = 'float32' | 'float16' | 'float64' | 'int64' | 'int32' | 'bool' | 'uint8';

/** A static, exact shape. `[]` is a scalar. */
export type Shape = readonly number[];

/** What a graph input is, so nets and runtime can assemble training graphs without name conventions. */
export type InputRole = 'param' | 'data' | 'state' | 'hyper';

export type TypedArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array;

export type AttrValue = number | string | boolean | readonly number[] | undefined;
export type Attrs = Readonly<Record<string, AttrValue>>;

export interface TensorType {
  readonly dtype: DType;
  readonly shape: Shape;
}

/** A shape or graph-structure error; the message names the failing node and its module path. */
export class GraphError extends Error {
  constructor(message: string, readonly node?: string, readonly path?: string) {
    super(message);
    this.name = 'GraphError';
  }
}

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float16' || dtype === 'float64';
}
