/** Conversions between checkpoint tensors (core NamedTensor) and onnxruntime tensors; both share the same buffer. */
import * as ort from 'onnxruntime-node';
import type { NamedTensor, SafetensorsDtype } from '../../core/checkpoint/safetensors.js';

const toOrt: Record<SafetensorsDtype, 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'uint8'> = {
  F32: 'float32', F64: 'float64', F16: 'float16', I64: 'int64', I32: 'int32', U8: 'uint8',
};
const fromOrt: Readonly<Record<string, SafetensorsDtype>> = Object.fromEntries(Object.entries(toOrt).map(([k, v]) => [v, k as SafetensorsDtype]));

export function ortTensorOf(t: NamedTensor): ort.Tensor {
  // float16 accepts raw half bits in a Uint16Array; the cast keeps ort's overloads from demanding a Float16Array.
  return new ort.Tensor(toOrt[t.dtype], t.data as Float32Array, [...t.shape]);
}

/** The tensor's data without a copy. Throws for dtypes checkpoints do not store (string, bool, ...). */
export function namedTensorOf(name: string, t: ort.Tensor): NamedTensor {
  const dtype = fromOrt[t.type];
  if (!dtype) throw new Error(`output "${name}" has type ${t.type}, which checkpoints cannot store`);
  return { dtype, shape: [...t.dims], data: t.data as NamedTensor['data'] };
}
