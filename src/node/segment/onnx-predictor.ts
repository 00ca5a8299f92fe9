/**
 * A WindowPredictor backed by one onnxruntime session (created through node/engine/providers.ts, the one session
 * path: CUDA when asked and working, else CPU). anadiff exports models with a static batch, so windows are run in
 * chunks of the model's batch; a short last chunk is padded with zeros and its extra outputs dropped. A model with a
 * symbolic batch takes each WindowBatch whole.
 */
import * as ort from 'onnxruntime-node';
import type { WindowBatch, WindowPredictor } from '../../core/infer/sliding-window.js';
import { createEngineSession } from '../engine/providers.js';
import { SegmentError } from './segment-volume.js';

export interface OnnxPredictor {
  readonly predict: WindowPredictor;
  readonly provider: 'cpu' | 'cuda';
  readonly fallbackReason?: string;
  release(): Promise<void>;
}

export async function createOnnxPredictor(
  model: Uint8Array,
  input: { readonly name: string; readonly shape: readonly number[] },
  options: { readonly provider?: 'auto' | 'cpu' | 'cuda'; readonly threads?: number },
): Promise<OnnxPredictor> {
  const engine = await createEngineSession(model, { provider: options.provider ?? 'auto', ...(options.threads !== undefined ? { threads: options.threads } : {}) });
  const { session } = engine;
  const outputName = session.outputNames[0];
  if (outputName === undefined) throw new SegmentError('the model has no output');
  const [declaredBatch, , d, h, w] = input.shape as [number, number, number, number, number];
  if (!(d > 0 && h > 0 && w > 0)) throw new SegmentError(`the model's window dimensions must be static, got [${input.shape.join(', ')}]`);
  const windowVoxels = d * h * w;
  const predict: WindowPredictor = async (batch: WindowBatch) => {
    const modelBatch = declaredBatch > 0 ? declaredBatch : batch.count;
    let out: Float32Array | undefined;
    for (let first = 0; first < batch.count; first += modelBatch) {
      const n = Math.min(modelBatch, batch.count - first);
      const chunk = new Float32Array(modelBatch * windowVoxels);
      chunk.set(batch.data.subarray(first * windowVoxels, (first + n) * windowVoxels));
      const result = await session.run({ [input.name]: new ort.Tensor('float32', chunk, [modelBatch, 1, d, h, w]) });
      const tensor = result[outputName];
      if (!tensor || tensor.type !== 'float32') throw new SegmentError(`the model's output "${outputName}" is not float32`);
      const values = tensor.data as Float32Array;
      const perWindow = values.length / modelBatch;
      out ??= new Float32Array(batch.count * perWindow);
      out.set(values.subarray(0, n * perWindow), first * perWindow);
      tensor.dispose();
    }
    return out ?? new Float32Array(0);
  };
  return {
    predict,
    provider: engine.provider,
    ...(engine.fallbackReason !== undefined ? { fallbackReason: engine.fallbackReason } : {}),
    release: () => session.release(),
  };
}
