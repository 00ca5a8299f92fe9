/**
 * Where a run's starting weights come from: a checkpoint manifest (a run's best/ or checkpoints/), or an exported
 * segmentation model (`model.onnx`, e.g. models/default/model.onnx), whose float32 initializers carry the same
 * parameter names as the training graph (export-onnx.ts bakes them under those names). The ONNX path is what lets a
 * user fine-tune the shipped model on their own scans (`train --init models/default/model.onnx`).
 */
import { readFileSync } from 'node:fs';
import type { NamedTensor } from '../../core/checkpoint/safetensors.js';
import { decodeOnnxModel } from '../segment/model-metadata.js';
import { loadCheckpoint } from './checkpoint-store.js';

const FLOAT = 1; // onnx.TensorProto.DataType.FLOAT

/** The named float32 tensors of `source` (.onnx initializers, or a verified checkpoint's tensors). */
export function loadInitTensors(source: string): ReadonlyMap<string, NamedTensor> {
  if (!source.endsWith('.onnx')) return loadCheckpoint(source).tensors;
  const proto = decodeOnnxModel(new Uint8Array(readFileSync(source)), source);
  const out = new Map<string, NamedTensor>();
  for (const t of proto.graph?.initializer ?? []) {
    if (!t.name || t.dataType !== FLOAT) continue;
    const shape = (t.dims ?? []).map(Number);
    const count = shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (t.rawData && t.rawData.length > 0) {
      if (t.rawData.length !== count * 4) throw new Error(`${source}: initializer ${t.name} holds ${t.rawData.length} bytes, its shape [${shape.join(',')}] needs ${count * 4}`);
      // Copied: rawData is a view into the file buffer at any alignment.
      data = new Float32Array(count);
      new Uint8Array(data.buffer).set(t.rawData);
    } else {
      data = Float32Array.from(t.floatData ?? []);
      if (data.length !== count) throw new Error(`${source}: initializer ${t.name} holds ${data.length} floats, its shape [${shape.join(',')}] needs ${count}`);
    }
    out.set(t.name, { dtype: 'F32', shape, data });
  }
  return out;
}
