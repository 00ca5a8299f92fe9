/**
 * The segmentation training job: a JobSpec (plain data) -> nets' training-step graph (buildTrainStep: forward + loss
 * + backward + optimizer update) -> the runtime's StepProgram. Hyper inputs (lr, Adam's bias corrections) are fed
 * per step from the schedule, so the graph and its hash do not depend on the schedule.
 */
import type { NamedTensor } from '../../../core/checkpoint/safetensors.js';
import { presetConfig, type SegmenterConfig } from '../../../core/nn/networks.js';
import { toOnnxModel } from '../../../core/onnx/index.js';
import { identity } from '../../../core/ops/index.js';
import { adamw, HYPER, sgd, type OptimizerConfig } from '../../../core/optim/optimizer.js';
import { buildInferenceGraph, buildTrainStep, initialTrainState, type TrainSpec } from '../../../core/train/step.js';
import type { OptimizerSpec, SegmentationJob } from './job-spec.js';
import { carriedStates, type StepProgram } from '../../engine/step-program.js';
import { loadInitTensors } from '../../engine/init-weights.js';
import { drawCaseBatch, prepareVolumes } from './segmentation-cases.js';
import { withHyperInputs } from './hyper.js';
import { JobError, type PreparedVolume } from './segmentation-data.js';

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

/** The job's optimizer with its frozen prefixes as nets' frozen groups. */
function optimizerOfJob(job: SegmentationJob): OptimizerConfig {
  const cfg = optimizerConfigOf(job.optimizer);
  const frozen = job.freeze ?? [];
  return frozen.length > 0 ? { ...cfg, groups: frozen.map((prefix) => ({ prefix, frozen: true })) } : cfg;
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
    optimizer: optimizerOfJob(job),
    shape: { batch, spatial: [pk, pj, pi] },
  };
}

const f32 = (shape: readonly number[], data: Float32Array): NamedTensor => ({ dtype: 'F32', shape, data });

/**
 * Overwrites the initial values of the parameters under `init.prefix` ('' = every parameter) with those of a
 * checkpoint or an exported model (same names and sizes). Optimizer state keeps its fresh zeros. Loading the same
 * source always gives the same start, so resume and hashes are unaffected.
 */
function applyInit(values: Map<string, Float32Array>, params: ReadonlySet<string>, init: NonNullable<SegmentationJob['init']>): void {
  const loaded = { tensors: loadInitTensors(init.checkpoint) };
  // A diffusion run's training checkpoint carries FiLM beside the norms it modulates; loading its backbone.* names
  // alone would silently drop the conditioning. Its best/ holds the folded plain backbone (jobs/pretrain.ts).
  const film = [...loaded.tensors.keys()].find((name) => name.startsWith(init.prefix) && /\.film[12]\.weight$/.test(name));
  if (film) throw new JobError(`init: ${init.checkpoint} is a diffusion training checkpoint (${film}: FiLM not folded); give its run folder, whose best/ holds the folded backbone`);
  let count = 0;
  for (const [name, current] of values) {
    if (!params.has(name) || !name.startsWith(init.prefix)) continue;
    const t = loaded.tensors.get(name);
    if (!t) throw new JobError(`init: ${init.checkpoint} has no tensor ${name} (is it the same network, preset and head?)`);
    if (t.dtype !== 'F32' || t.data.length !== current.length) {
      throw new JobError(`init: ${name} in ${init.checkpoint} is ${t.dtype} [${t.shape.join(',')}], this network needs ${current.length} float32 values`);
    }
    values.set(name, Float32Array.from(t.data as Float32Array));
    count++;
  }
  if (count === 0) throw new JobError(`init: no parameter of this network starts with "${init.prefix}"`);
}

/** Builds the job's StepProgram from already prepared volumes (tests reuse them across runs). */
export function segmentationProgramFrom(job: SegmentationJob, preparedInput: PreparedVolume | readonly PreparedVolume[]): StepProgram {
  const cases: readonly PreparedVolume[] = Array.isArray(preparedInput) ? preparedInput : [preparedInput as PreparedVolume];
  const prepared = cases[0];
  if (!prepared) throw new JobError('segmentation: no prepared volume');
  if (cases.some((c) => c.classes !== prepared.classes)) throw new JobError('segmentation: cases disagree on the number of classes');
  const spec = trainSpecOf(job, prepared.classes);
  const step = buildTrainStep(spec);
  const carriedInputs = new Set(step.carried.map((c) => c.input));
  const frozen = job.freeze ?? [];
  const isFrozen = (name: string): boolean => frozen.some((prefix) => name.startsWith(prefix));
  const uncarried = step.params.filter((p) => !carriedInputs.has(p.name) && !isFrozen(p.name));
  if (uncarried.length > 0) throw new JobError(`segmentation: parameters not carried by the step graph: ${uncarried.map((p) => p.name).join(', ')}`);
  // Frozen parameters are inputs the update leaves alone; an Identity output carries them through the trainer's loop
  // (and into every checkpoint) like any other state. Cost: one buffer copy per frozen tensor per step.
  const frozenCarry = step.params.filter((p) => !carriedInputs.has(p.name)).map((p) => {
    const value = step.graph.inputs.find((i) => i.value.name === p.name)?.value;
    if (!value) throw new JobError(`segmentation: frozen parameter ${p.name} is not a step graph input`);
    return { input: p.name, output: step.graph.output(identity(value), `${p.name}.frozen`).name, role: 'param' as const };
  });
  const shapeOf = new Map(step.graph.inputs.map((i) => [i.value.name, i.value.shape]));
  const inference = buildInferenceGraph(spec.net, spec.shape, job.loss === 'softmax-ce' ? 'softmax' : 'sigmoid');
  return {
    model: toOnnxModel(step.graph),
    carry: carriedStates(step.graph, [...step.carried, ...frozenCarry]),
    lossOutput: step.lossOutput,
    lrInput: HYPER.lr,
    initState(rng) {
      const values = initialTrainState(step, rng);
      if (job.init) applyInit(values, new Set(step.params.map((p) => p.name)), job.init);
      return new Map([...values].map(([name, data]) => [name, f32(shapeOf.get(name) ?? [data.length], data)]));
    },
    batch(stepNumber, rng) {
      const out = drawCaseBatch(rng, cases, job, spec.shape.batch);
      return withHyperInputs(out, step.hyper, spec.optimizer, job.schedule, stepNumber, 'segmentation');
    },
    inference: { model: toOnnxModel(inference.graph), params: inference.params.map((p) => p.name) },
  };
}

/** Loads the job's data and builds its StepProgram. */
export async function segmentationProgram(job: SegmentationJob): Promise<StepProgram> {
  return segmentationProgramFrom(job, await prepareVolumes(job));
}
