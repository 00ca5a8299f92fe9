/**
 * Standalone inference export: the inference graph with its parameter inputs turned into initializers (weights
 * embedded), so `model.onnx` runs in any onnxruntime with only the data inputs fed.
 */
import { onnx } from 'onnx-proto';
import type { NamedTensor, SafetensorsDtype } from '../../core/checkpoint/safetensors.js';
import { elementCount } from '../../core/checkpoint/safetensors.js';
import { writeFileAtomic } from '../io/atomic-write.js';

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

const onnxType: Record<SafetensorsDtype, number> = {
  F32: onnx.TensorProto.DataType.FLOAT,
  F64: onnx.TensorProto.DataType.DOUBLE,
  F16: onnx.TensorProto.DataType.FLOAT16,
  I64: onnx.TensorProto.DataType.INT64,
  I32: onnx.TensorProto.DataType.INT32,
  U8: onnx.TensorProto.DataType.UINT8,
};

/** Returns the ModelProto bytes with `params` baked in as initializers (raw little-endian data). */
export function bakeParameters(model: Uint8Array, tensors: ReadonlyMap<string, NamedTensor>, params: readonly string[]): Uint8Array {
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph;
  if (!graph) throw new ExportError('model has no graph');
  const baked = new Set(params);
  const inputs = graph.input ?? [];
  const initializers = (graph.initializer ??= []);
  for (const name of params) {
    const t = tensors.get(name);
    if (!t) throw new ExportError(`no value for parameter "${name}"`);
    const input = inputs.find((i) => i.name === name);
    if (!input) throw new ExportError(`inference graph has no input "${name}" to bake`);
    const dims = input.type?.tensorType?.shape?.dim?.map((d) => Number(d.dimValue ?? -1)) ?? [];
    if (dims.length !== t.shape.length || dims.some((d, i) => d !== t.shape[i])) {
      throw new ExportError(`parameter "${name}": graph expects shape [${dims.join(', ')}], value has [${t.shape.join(', ')}]`);
    }
    if (elementCount(t.shape) !== t.data.length) throw new ExportError(`parameter "${name}": data length does not match shape`);
    initializers.push(onnx.TensorProto.create({
      name,
      dataType: onnxType[t.dtype],
      dims: [...t.shape],
      rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    }));
  }
  graph.input = inputs.filter((i) => !baked.has(i.name ?? ''));
  return onnx.ModelProto.encode(proto).finish();
}

/** Writes the standalone model atomically; refuses to replace an existing file unless `overwrite`. */
export function exportInferenceModel(
  model: Uint8Array,
  tensors: ReadonlyMap<string, NamedTensor>,
  params: readonly string[],
  path: string,
  options: { overwrite?: boolean } = { overwrite: true },
): { bytes: number; sha256: string } {
  return writeFileAtomic(path, [bakeParameters(model, tensors, params)], options);
}
