/**
 * The anadiff side of `bench infer`, in its own process (honest peak RSS): the inference graph of the preset network
 * with random weights baked in (as an exported model.onnx), one session, then sliding-window inference over the
 * preprocessed volume + threshold, `repeat` times.
 */
import { readFileSync } from 'node:fs';
import { slidingWindowInference } from '../../core/infer/sliding-window.js';
import { labelsFromProbabilities } from '../../core/infer/postprocess.js';
import type { NamedTensor } from '../../core/checkpoint/safetensors.js';
import { presetConfig, type SegmenterConfig } from '../../core/nn/networks.js';
import { initParams } from '../../core/nn/params.js';
import { toOnnxModel } from '../../core/onnx/index.js';
import { createRng } from '../../core/random/rng.js';
import { buildInferenceGraph } from '../../core/train/step.js';
import { bakeParameters } from '../../node/engine/export-onnx.js';
import { createOnnxPredictor } from '../../node/segment/onnx-predictor.js';
import type { BenchSideResult } from './bench-train-child.js';
import { median } from '../../node/bench/stats.js';

export interface InferSideOptions {
  readonly net: 'unet' | 'fpn3d';
  readonly preset: 'tiny' | 'small' | 'paper';
  readonly classes: number;
  readonly input: string;
  readonly dims: readonly [number, number, number];
  readonly roi: readonly [number, number, number];
  readonly overlap: number;
  readonly batch: number;
  readonly repeat: number;
  readonly warmup: number;
  readonly threads: number;
  readonly device: 'cpu' | 'cuda';
}

/** The network both sides build (PyTorch from the same JSON): the preset with one sigmoid channel per class. */
export function inferNetConfig(o: Pick<InferSideOptions, 'net' | 'preset' | 'classes'>): SegmenterConfig {
  return presetConfig(o.net, o.preset, { outChannels: o.classes });
}

/** A standalone model (weights baked in, like a run's model.onnx) of the config at a window batch. */
export function randomInferenceModel(net: SegmenterConfig, batch: number, roi: readonly [number, number, number], seed = 0): Uint8Array {
  const built = buildInferenceGraph(net, { batch, spatial: [roi[2], roi[1], roi[0]] }, 'sigmoid');
  const values = initParams(built.params, createRng(seed, 0));
  const tensors = new Map<string, NamedTensor>(built.params.map((p) => [p.name, { dtype: 'F32', shape: p.shape, data: values.get(p.name)! }]));
  return bakeParameters(toOnnxModel(built.graph), tensors, built.params.map((p) => p.name));
}

export async function runInferSide(o: InferSideOptions): Promise<BenchSideResult> {
  const bytes = readFileSync(o.input);
  const volume = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const net = inferNetConfig(o);
  const model = randomInferenceModel(net, o.batch, o.roi);
  const predictor = await createOnnxPredictor(model, { name: 'image', shape: [o.batch, 1, o.roi[2], o.roi[1], o.roi[0]] }, { provider: o.device, threads: o.threads });
  if (o.device === 'cuda' && predictor.provider !== 'cuda') throw new Error(`bench infer: CUDA was asked but the session runs on CPU (${predictor.fallbackReason ?? 'unknown reason'})`);
  let windows = 0, foreground = 0;
  const segment = async (): Promise<void> => {
    const probs = await slidingWindowInference(volume, o.dims, { roi: o.roi, overlap: o.overlap, batchSize: o.batch, outChannels: o.classes, onProgress: (_d, t) => { windows = t; } }, predictor.predict);
    const labels = labelsFromProbabilities(probs, o.classes);
    foreground = labels.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
  };
  for (let i = 0; i < o.warmup; i++) await segment();
  const times: number[] = [];
  for (let i = 0; i < o.repeat; i++) {
    const t0 = performance.now();
    await segment();
    times.push(performance.now() - t0);
  }
  await predictor.release();
  return {
    median_ms: median(times), peak_rss_mb: process.resourceUsage().maxRSS / 1024, windows, threads: o.threads,
    device: predictor.provider, foreground_voxels: foreground,
  };
}
