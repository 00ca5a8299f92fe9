/**
 * Inference for runs: the job's network as a fixed-shape inference graph (batch of windows x roi), weights baked in
 * from a checkpoint, run by core's sliding window over a preprocessed case. Used for validation Dice during training,
 * for the protocol's test cases, and to export model.onnx.
 */
import type * as ort from 'onnxruntime-node';
import type { NamedTensor } from '../../core/checkpoint/safetensors.js';
import { argmaxLabels, labelsFromProbabilities, slidingWindowInference, type WindowBatch } from '../../core/infer/index.js';
import { dicePerClass } from '../../core/metrics/index.js';
import { toOnnxModel } from '../../core/onnx/index.js';
import { buildInferenceGraph } from '../../core/train/step.js';
import type { ProviderChoice } from '../engine/providers.js';
import type { SegmentationJob } from './jobs/job-spec.js';
import { bakeParameters } from '../engine/export-onnx.js';
import type { PreparedCase } from './jobs/segmentation-cases.js';
import { networkConfigOf } from './jobs/segmentation.js';
import { createSession } from '../engine/providers.js';

export interface InferenceModel {
  /** ModelProto with the weights baked in: input `image` [batch, 1, k, j, i], output `probs`. */
  readonly bytes: Uint8Array;
  readonly batch: number;
  /** Window size along i, j, k. */
  readonly roi: readonly [number, number, number];
  /** Output channels: classes (sigmoid) or classes + 1 (softmax, channel 0 background). */
  readonly channels: number;
  readonly activation: 'sigmoid' | 'softmax';
}

/** The job's inference graph for `batch` windows, with `tensors` (a checkpoint's) baked in. */
export function inferenceModelOf(job: SegmentationJob, classes: number, batch: number, tensors: ReadonlyMap<string, NamedTensor>): InferenceModel {
  const net = networkConfigOf(job, classes);
  const [pi, pj, pk] = job.patch;
  const activation = job.loss === 'softmax-ce' ? 'softmax' : 'sigmoid';
  const built = buildInferenceGraph(net, { batch, spatial: [pk, pj, pi] }, activation);
  const bytes = bakeParameters(toOnnxModel(built.graph), tensors, built.params.map((p) => p.name));
  return { bytes, batch, roi: job.patch, channels: activation === 'softmax' ? classes + 1 : classes, activation };
}

export interface CaseSegmenter {
  /** Label map (classes 1..n, 0 background) on the case's preprocessed grid. */
  segment(c: PreparedCase): Promise<Uint8Array>;
  release(): Promise<void>;
}

/** One session for many cases; windows go in batches of the model's batch (the last batch padded with zeros). */
export async function openSegmenter(model: InferenceModel, options: { overlap?: number; threads?: number; provider?: ProviderChoice } = {}): Promise<CaseSegmenter> {
  const session: ort.InferenceSession = await createSession(model.bytes, { ...(options.threads ? { threads: options.threads } : {}), ...(options.provider ? { provider: options.provider, strict: false } : {}) });
  const { Tensor } = await import('onnxruntime-node');
  const [ri, rj, rk] = model.roi;
  const roiVoxels = ri * rj * rk;
  const predict = async (batch: WindowBatch): Promise<Float32Array> => {
    const input = new Float32Array(model.batch * roiVoxels);
    input.set(batch.data.subarray(0, batch.count * roiVoxels));
    const out = await session.run({ image: new Tensor('float32', input, [model.batch, 1, rk, rj, ri]) });
    const probs = out.probs;
    if (!probs) throw new Error('inference model has no output "probs"');
    return (probs.data as Float32Array).subarray(0, batch.count * model.channels * roiVoxels);
  };
  return {
    async segment(c) {
      const probs = await slidingWindowInference(c.volume.image, c.volume.dims, {
        roi: model.roi, overlap: options.overlap ?? 0.5, blend: 'gaussian', batchSize: model.batch, outChannels: model.channels,
      }, predict);
      // The protocol: sigmoid, times the body mask, threshold 0.5 (softmax heads: argmax inside the body).
      return model.activation === 'sigmoid'
        ? labelsFromProbabilities(probs, model.channels, { bodyMask: c.volume.bodyMask })
        : argmaxLabels(probs, model.channels, c.volume.bodyMask);
    },
    release: () => session.release(),
  };
}

/** Dice per class (1..classes) of every case, on the preprocessed grid (the protocol's grid). */
export async function diceOfCases(segmenter: CaseSegmenter, cases: readonly PreparedCase[]): Promise<{ id: string; dice: number[] }[]> {
  const out: { id: string; dice: number[] }[] = [];
  for (const c of cases) {
    const pred = await segmenter.segment(c);
    const classes = Array.from({ length: c.classes }, (_, i) => i + 1);
    out.push({ id: c.id, dice: dicePerClass(pred, c.volume.labels, classes) });
  }
  return out;
}
