import { onnx } from 'onnx-proto';
import type { Graph, GraphNode, Value } from '../graph/graph.js';
import { GraphError, type DType, type Shape, type TypedArray } from '../graph/types.js';
import { type LoweringChoices, resolveLowering } from '../lowering.js';
import { onnxTypeCode } from '../ops/elementwise.js';
import type { EmitContext, OnnxAttr } from '../ops/op.js';

export const OPSET = 21;
export const IR_VERSION = 10;

export interface OnnxExportOptions {
  readonly lowering?: Partial<LoweringChoices>;
  readonly producer?: string;
  /** Graph inputs to bake in as initializers (standalone inference export): name -> data. */
  readonly bake?: ReadonlyMap<string, TypedArray>;
}

function bytesOf(data: TypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function typedFor(dtype: DType, values: readonly number[]): TypedArray {
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    case 'int32': return Int32Array.from(values);
    case 'int64': return BigInt64Array.from(values, (v) => BigInt(v));
    case 'bool':
    case 'uint8': return Uint8Array.from(values);
    case 'float16': throw new GraphError('float16 lowering constants are not supported yet');
  }
}

function tensorProto(name: string, dtype: DType, shape: Shape, data: TypedArray): onnx.ITensorProto {
  return { name, dims: [...shape], dataType: onnxTypeCode(dtype), rawData: bytesOf(data) };
}

function valueInfo(v: Value): onnx.IValueInfoProto {
  return { name: v.name, type: { tensorType: { elemType: onnxTypeCode(v.dtype), shape: { dim: v.shape.map((d) => ({ dimValue: d })) } } } };
}

function attrProto(name: string, a: OnnxAttr): onnx.IAttributeProto {
  switch (a.kind) {
    case 'int': return { name, type: onnx.AttributeProto.AttributeType.INT, i: a.value };
    case 'float': return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: a.value };
    case 'ints': return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...a.value] };
    case 'floats': return { name, type: onnx.AttributeProto.AttributeType.FLOATS, floats: [...a.value] };
    case 'string': return { name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(a.value) };
  }
}

/** Nodes that contribute to an output, in graph order (dead forward branches are not emitted). */
function liveNodes(g: Graph): GraphNode[] {
  const needed = new Set(g.outputs.map((v) => v.id));
  const live: GraphNode[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (!n || !n.outputs.some((o) => needed.has(o.id))) continue;
    live.push(n);
    for (const v of n.inputs) needed.add(v.id);
  }
  return live.reverse();
}

class Emitter implements EmitContext {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly shared = new Map<string, string>();
  private current = '';
  private counter = 0;

  constructor(readonly lowering: LoweringChoices, private readonly used: ReadonlySet<number>) {}

  isUsed(v: Value): boolean {
    return this.used.has(v.id);
  }

  begin(node: GraphNode): void {
    this.current = node.name;
    this.counter = 0;
  }

  temp(hint: string): string {
    return `${this.current}/${hint}${this.counter++}`;
  }

  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs?: Readonly<Record<string, OnnxAttr>>): void {
    const attribute = attrs ? Object.entries(attrs).map(([k, a]) => attrProto(k, a)) : [];
    this.nodes.push({ opType, input: [...inputs], output: [...outputs], name: `${this.current}/${opType}${this.nodes.length}`, attribute });
  }

  ints(values: readonly number[]): string {
    return this.share(`/i64/${values.join(',')}`, 'int64', [values.length], values);
  }

  scalar(value: number, dtype: DType): string {
    return this.share(`/${dtype}/${value}`, dtype, [], [value]);
  }

  tensor(dtype: DType, shape: Shape, data: readonly number[]): string {
    return this.share(`/${dtype}/${shape.join('x')}/${this.initializers.length}`, dtype, shape, data);
  }

  private share(key: string, dtype: DType, shape: Shape, values: readonly number[]): string {
    const found = this.shared.get(key);
    if (found) return found;
    const name = `const${key}`;
    this.initializers.push(tensorProto(name, dtype, shape, typedFor(dtype, values)));
    this.shared.set(key, name);
    return name;
  }
}

/** The ModelProto (opset 21) as a plain object, before encoding. */
export function toModelProto(g: Graph, opts: OnnxExportOptions = {}): onnx.IModelProto {
  const live = liveNodes(g);
  const used = new Set<number>(g.outputs.map((v) => v.id));
  for (const n of live) for (const v of n.inputs) used.add(v.id);
  const emitter = new Emitter(resolveLowering(opts.lowering), used);
  for (const n of live) {
    emitter.begin(n);
    try {
      n.op.emit(emitter, n);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new GraphError(`emitting node ${n.name} (${n.op.type}) at "${n.path}": ${why}`, n.name, n.path);
    }
  }
  const initializers = [...emitter.initializers];
  for (const c of g.constants.values()) if (used.has(c.value.id)) initializers.push(tensorProto(c.value.name, c.value.dtype, c.value.shape, c.data));
  const inputs: onnx.IValueInfoProto[] = [];
  for (const i of g.inputs) {
    const baked = opts.bake?.get(i.value.name);
    if (baked) initializers.push(tensorProto(i.value.name, i.value.dtype, i.value.shape, baked));
    else inputs.push(valueInfo(i.value));
  }
  for (const o of g.outputs) {
    if (g.roleOf(o) !== undefined || g.constants.has(o.id)) throw new GraphError(`output ${o.name} is a graph input or constant; wrap it with identity() under another name`, o.name);
  }
  return {
    irVersion: IR_VERSION,
    producerName: opts.producer ?? 'anadiff',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: { name: g.name, node: emitter.nodes, initializer: initializers, input: inputs, output: g.outputs.map(valueInfo) },
  };
}

/** Serialises the graph to ONNX bytes for `InferenceSession.create`. */
export function toOnnxModel(g: Graph, opts: OnnxExportOptions = {}): Uint8Array {
  return onnx.ModelProto.encode(toModelProto(g, opts)).finish();
}
