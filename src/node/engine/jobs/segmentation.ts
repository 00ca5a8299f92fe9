/**
 * The segmentation training job: a JobSpec (plain data) -> nets' training-step graph (buildTrainStep: forward + loss
 * + backward + optimizer update) -> the runtime's StepProgram. Hyper inputs (lr, Adam's bias corrections) are fed
 * per step from the schedule, so the graph and its hash do not depend on the schedule.
 */
import type { NamedTensor } from '../../../core/checkpoint/safetensors.js';
import { presetConfig, type SegmenterConfig } from '../../../core/nn/networks.js';
import { toOnnxModel } from '../../../core/onnx/index.js';
import { adamw, HYPER, optimizerHyper, sgd, type OptimizerConfig } from '../../../core/optim/optimizer.js';
import { learningRate } from '../../../core/optim/schedules.js';
import { buildInferenceGraph, buildTrainStep, initialTrainState, type TrainSpec } from '../../../core/train/step.js';
import type { OptimizerSpec, SegmentationJob } from '../../../protocol/engine.js';
import type { StepProgram } from '../step-program.js';
import { drawBatch, JobError, prepareVolume, type PreparedVolume } from './segmentation-data.js';

/** The nets optimizer config of a job's plain-data optimizer (defaults filled by nets' adamw / sgd). */
export function optimizerConfigOf(spec: OptimizerSpec): OptimizerConfig {
  const { maxGradNorm } = spec;
  const rule = spec.rule === 'adamw'
    ? adamw({
      ...(spec.beta1 !== undefined ? { beta1: spec.beta1 } : {}), ...(spec.beta2 !== undefined ? { beta2: spec.beta2 } : {}),
      ...(spec.eps !== undefined ? { eps: spec.eps } : {}), ...(spec.weightDecay !== undefined ? { weightDecay: spec.weightDecay } : {}),
    })
    : sgd({
      ...(spec.momentum !== undefined ? { momentum: spec.momentum } : {}), ...(spec.weightDecay !== undefined ? { weightDecay: spec.weightDecay } : {}),
      ...(spec.nesterov !== undefined ? { nesterov: spec.nesterov } : {}),
    });
  return maxGradNorm !== undefined ? { rule, maxGradNorm } : { rule };
}

/** The network config: the preset with the job's overrides and one output channel per class (+ background for softmax). */
export function networkConfigOf(job: SegmentationJob, classes: number): SegmenterConfig {
  const outChannels = job.loss === 'softmax-ce' ? classes + 1 : classes;
  const channels = job.channels !== undefined ? { channels: job.channels } : {};
  if (job.net === 'unet') {
    if (job.head !== undefined) throw new JobError(`segmentation: 'head' applies to fpn3d, not unet`);
    return presetConfig('unet', job.preset, { outChannels, ...channels });
  }
  return presetConfig('fpn3d', job.preset, { outChannels, ...channels, ...(job.head !== undefined ? { head: job.head } : {}) });
}

export function trainSpecOf(job: SegmentationJob, classes: number): TrainSpec {
  const batch = job.batch ?? 1;
  const [pi, pj, pk] = job.patch;
  return {
    net: networkConfigOf(job, classes),
    loss: { kind: job.loss },
    optimizer: optimizerConfigOf(job.optimizer),
    shape: { batch, spatial: [pk, pj, pi] },
  };
}

const f32 = (shape: readonly number[], data: Float32Array): NamedTensor => ({ dtype: 'F32', shape, data });

/** Builds the job's StepProgram from an already prepared volume (tests reuse one volume across runs). */
export function segmentationProgramFrom(job: SegmentationJob, prepared: PreparedVolume): StepProgram {
  const spec = trainSpecOf(job, prepared.classes);
  const step = buildTrainStep(spec);
  const carriedInputs = new Set(step.carried.map((c) => c.input));
  const uncarried = step.params.filter((p) => !carriedInputs.has(p.name));
  if (uncarried.length > 0) throw new JobError(`segmentation: parameters not carried by the step graph: ${uncarried.map((p) => p.name).join(', ')}`);
  const shapeOf = new Map(step.graph.inputs.map((i) => [i.value.name, i.value.shape]));
  const inference = buildInferenceGraph(spec.net, spec.shape, job.loss === 'softmax-ce' ? 'softmax' : 'sigmoid');
  return {
    model: toOnnxModel(step.graph),
    carry: step.carried.map(({ input, output }) => ({ input, output })),
    lossOutput: step.lossOutput,
    lrInput: HYPER.lr,
    initState(rng) {
      const values = initialTrainState(step, rng);
      return new Map([...values].map(([name, data]) => [name, f32(shapeOf.get(name) ?? [data.length], data)]));
    },
    batch(stepNumber, rng) {
      const out = drawBatch(rng, prepared, job, spec.shape.batch);
      const hyper = optimizerHyper(spec.optimizer, stepNumber, learningRate(job.schedule, stepNumber - 1));
      for (const name of step.hyper) {
        const value = hyper[name];
        if (value === undefined) throw new JobError(`segmentation: no value for hyper input ${name}`);
        out.set(name, f32([], Float32Array.of(value)));
      }
      return out;
    },
    inference: { model: toOnnxModel(inference.graph), params: inference.params.map((p) => p.name) },
  };
}

/** Loads the job's data and builds its StepProgram. */
export async function segmentationProgram(job: SegmentationJob): Promise<StepProgram> {
  return segmentationProgramFrom(job, await prepareVolume(job));
}
