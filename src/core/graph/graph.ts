import type { OpDef } from '../ops/op.js';
import { graphHash } from './hash.js';
import { GraphError, type Attrs, type DType, type InputRole, type Shape, type TensorType, type TypedArray, numel, shapeString } from './types.js';

/** One tensor in the graph. Its name is deterministic (module path + op) and may be renamed once (gradients). */
export interface Value {
  readonly id: number;
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
  readonly graph: Graph;
}

export interface GraphNode {
  readonly id: number;
  readonly op: OpDef;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly attrs: Attrs;
  /** Unique node name, equal to its first output's original name. */
  readonly name: string;
  /** Module path the node was created under ('' at top level). */
  readonly path: string;
}

export interface GraphInput {
  readonly value: Value;
  readonly role: InputRole;
}

export interface ConstantData {
  readonly value: Value;
  readonly data: TypedArray;
}

interface MutableValue {
  id: number;
  name: string;
  dtype: DType;
  shape: Shape;
  graph: Graph;
}

const NAME_PATTERN = /^[A-Za-z0-9_.:\-[\]]+$/; // no "/": the serialiser uses it for temporaries

/**
 * The graph builder and IR in one: ops append nodes through `apply`, module scopes give values their names.
 * A class because it accumulates state while a network is built.
 */
export class Graph {
  private readonly valueList: MutableValue[] = [];
  private readonly nodeList: GraphNode[] = [];
  private readonly inputList: GraphInput[] = [];
  private readonly outputList: Value[] = [];
  private readonly constantMap = new Map<number, ConstantData>();
  private readonly names = new Set<string>();
  private readonly producers = new Map<number, GraphNode>();
  private readonly scopeStack: string[] = [];

  constructor(readonly name = 'anadiff') {}

  get path(): string {
    return this.scopeStack.join('.');
  }
  get inputs(): readonly GraphInput[] {
    return this.inputList;
  }
  get outputs(): readonly Value[] {
    return this.outputList;
  }
  get nodes(): readonly GraphNode[] {
    return this.nodeList;
  }
  get values(): readonly Value[] {
    return this.valueList;
  }
  get constants(): ReadonlyMap<number, ConstantData> {
    return this.constantMap;
  }

  /** Runs `body` with `segment` appended to the module path (`down1` then `conv1` gives `down1.conv1`). */
  scope<T>(segment: string, body: () => T): T {
    if (!segment || segment.includes('.')) throw new GraphError(`scope segment "${segment}" must be non-empty without dots`, undefined, this.path);
    this.scopeStack.push(segment);
    try {
      return body();
    } finally {
      this.scopeStack.pop();
    }
  }

  /** Replaces the module path for the duration of `body` (the backward pass reuses forward paths). */
  atPath<T>(path: string, body: () => T): T {
    const saved = this.scopeStack.splice(0, this.scopeStack.length, ...(path ? path.split('.') : []));
    try {
      return body();
    } finally {
      this.scopeStack.splice(0, this.scopeStack.length, ...saved);
    }
  }

  /** A graph input named exactly `name`. */
  input(name: string, dtype: DType, shape: Shape, role: InputRole): Value {
    const v = this.newValue(name, dtype, shape);
    this.inputList.push({ value: v, role });
    return v;
  }

  /** A parameter input named `${path}.${local}`. */
  param(local: string, shape: Shape, dtype: DType = 'float32'): Value {
    return this.input(this.qualify(local), dtype, shape, 'param');
  }

  /** A constant (ONNX initializer) named `${path}.${local}` (made unique). */
  constant(local: string, dtype: DType, shape: Shape, data: TypedArray | readonly number[]): Value {
    const typed = toTyped(dtype, data);
    if (typed.length !== numel(shape)) {
      throw new GraphError(`constant ${local}: ${typed.length} elements for shape ${shapeString(shape)}`, local, this.path);
    }
    const v = this.newValue(this.uniqueName(this.qualify(local)), dtype, shape);
    this.constantMap.set(v.id, { value: v, data: typed });
    return v;
  }

  output(value: Value, name?: string): Value {
    this.own(value, 'output');
    if (name !== undefined && name !== value.name) this.rename(value, name);
    if (!this.outputList.includes(value)) this.outputList.push(value);
    return value;
  }

  rename(value: Value, name: string): void {
    this.own(value, 'rename');
    if (this.names.has(name)) throw new GraphError(`cannot rename ${value.name} to ${name}: name already used`, value.name, this.path);
    checkName(name);
    const mutable = this.valueList[value.id];
    if (!mutable) throw new GraphError(`unknown value ${value.name}`);
    this.names.delete(mutable.name);
    this.names.add(name);
    mutable.name = name;
  }

  inputsByRole(role: InputRole): Value[] {
    return this.inputList.filter((i) => i.role === role).map((i) => i.value);
  }

  roleOf(value: Value): InputRole | undefined {
    return this.inputList.find((i) => i.value === value)?.role;
  }

  producer(value: Value): GraphNode | undefined {
    return this.producers.get(value.id);
  }

  constantData(value: Value): TypedArray | undefined {
    return this.constantMap.get(value.id)?.data;
  }

  /**
   * Appends a node of `op`: infers output types (errors name the node and module path) and names outputs
   * `${path}.${opName}` made unique. Ops call this; networks call the op functions.
   */
  apply(op: OpDef, inputs: readonly Value[], attrs: Attrs = {}, opName: string = op.type): Value[] {
    for (const v of inputs) this.own(v, op.type);
    const base = this.uniqueName(this.qualify(opName));
    let types: readonly TensorType[];
    try {
      types = op.infer(inputs, attrs);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new GraphError(`node ${base} (${op.type}) at "${this.path}": ${why}; inputs ${inputs.map((v) => `${v.name}${shapeString(v.shape)}:${v.dtype}`).join(', ')}`, base, this.path);
    }
    const outputs = types.map((t, i) => this.newValue(i === 0 ? base : this.uniqueName(`${base}:${i}`), t.dtype, t.shape));
    const node: GraphNode = { id: this.nodeList.length, op, inputs: [...inputs], outputs, attrs, name: base, path: this.path };
    this.nodeList.push(node);
    for (const o of outputs) this.producers.set(o.id, node);
    return outputs;
  }

  /** Stable content hash (16 hex digits) of structure, names, shapes, attributes and constant data. */
  hash(): string {
    return graphHash(this);
  }

  private qualify(local: string): string {
    return this.path ? `${this.path}.${local}` : local;
  }

  private uniqueName(name: string): string {
    if (!this.names.has(name)) return name;
    for (let i = 1; ; i++) {
      const candidate = `${name}_${i}`;
      if (!this.names.has(candidate)) return candidate;
    }
  }

  private newValue(name: string, dtype: DType, shape: Shape): Value {
    checkName(name);
    if (this.names.has(name)) throw new GraphError(`value name ${name} is already used`, name, this.path);
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new GraphError(`value ${name}: invalid shape ${shapeString(shape)}`, name, this.path);
    const v: MutableValue = { id: this.valueList.length, name, dtype, shape: Object.freeze([...shape]), graph: this };
    this.valueList.push(v);
    this.names.add(name);
    return v;
  }

  private own(v: Value, where: string): void {
    if (v.graph !== this || this.valueList[v.id] !== v) throw new GraphError(`${where}: value ${v.name} belongs to another graph`, where, this.path);
  }
}

function checkName(name: string): void {
  if (!NAME_PATTERN.test(name)) throw new GraphError(`invalid value name "${name}"`);
}

function toTyped(dtype: DType, data: TypedArray | readonly number[]): TypedArray {
  if (!Array.isArray(data)) return data as TypedArray;
  const list = data as readonly number[];
  switch (dtype) {
    case 'float32': return Float32Array.from(list);
    case 'float64': return Float64Array.from(list);
    case 'int32': return Int32Array.from(list);
    case 'int64': return BigInt64Array.from(list, (x) => BigInt(x));
    case 'bool':
    case 'uint8': return Uint8Array.from(list);
    case 'float16': throw new GraphError('float16 constants must be given as Uint16Array bits');
  }
}
