/**
 * The coordinate model's training job (docs/coords.md): CoordsJob (plain data) -> core's coords step graph ->
 * the runtime's StepProgram, trained by the same runTraining as segmentation (run folder, checkpoints, exact resume).
 * Each step draws one CT uniformly and `pairs` crop pairs of it from the data stream.
 */
import type { NamedTensor } from '../../../core/checkpoint/safetensors.js';
import { APE_AUGMENT } from '../../../core/coords/augment.js';
import { sampleCoordsBatch, type Standardisation } from '../../../core/coords/batch.js';
import { APE_CROP_DEFAULTS, type CoordsVolume, type CropPairOptions } from '../../../core/coords/crop-pairs.js';
import { coordsPresetConfig, type CoordsNetConfig } from '../../../core/coords/network.js';
import { buildCoordsInferenceGraph, buildCoordsTrainStep } from '../../../core/coords/train-step.js';
import { toOnnxModel } from '../../../core/onnx/index.js';
import { HYPER } from '../../../core/optim/optimizer.js';
import type { Schedule } from '../../../core/optim/schedules.js';
import { nextInt } from '../../../core/random/rng.js';
import { initialTrainState } from '../../../core/train/step.js';
import type { OptimizerSpec } from './job-spec.js';
import { carriedStates, type StepProgram } from '../../engine/step-program.js';
import { optimizerConfigOf } from './segmentation.js';
import { withHyperInputs } from './hyper.js';
import { JobError } from './segmentation-data.js';

export interface CoordsJob {
  readonly kind: 'coords';
  readonly preset: 'tiny' | 'small' | 'paper';
  readonly channels?: number;
  /** Crop pairs of one CT per step (APE: 8). */
  readonly pairs: number;
  /** Crop options: patch (i, j, k voxels), spacing range, slots per view, anchor. */
  readonly crops: CropPairOptions;
  readonly standardise?: Standardisation;
  /** APE's per-view augmentation (core/coords/augment.ts); off unless true. */
  readonly augment?: boolean;
  readonly optimizer: OptimizerSpec;
  readonly schedule: Schedule;
}

/** APE's optimiser: AdamW, eps 1e-3, weight decay 1e-6, gradient clipping at norm 1. */
export const APE_OPTIMIZER: OptimizerSpec = { rule: 'adamw', eps: 1e-3, weightDecay: 1e-6, maxGradNorm: 1 };

export function coordsNetOf(job: CoordsJob): CoordsNetConfig {
  return coordsPresetConfig(job.preset, job.channels !== undefined ? { channels: job.channels } : {});
}

const tensor = (dtype: NamedTensor['dtype'], shape: readonly number[], data: NamedTensor['data']): NamedTensor => ({ dtype, shape, data });

export function coordsProgramFrom(job: CoordsJob, volumes: readonly CoordsVolume[]): StepProgram {
  if (volumes.length === 0) throw new JobError('coords: no training volume');
  const crops = { ...APE_CROP_DEFAULTS, ...job.crops };
  const [pi, pj, pk] = crops.patch;
  const net = coordsNetOf(job);
  const optimizer = optimizerConfigOf(job.optimizer);
  const shape = { pairs: job.pairs, spatial: [pk, pj, pi] as [number, number, number], bodySlots: crops.bodySlots, backgroundSlots: crops.backgroundSlots };
  const step = buildCoordsTrainStep({ net, optimizer, shape });
  const shapeOf = new Map(step.graph.inputs.map((i) => [i.value.name, i.value.shape]));
  const inference = buildCoordsInferenceGraph(net, 1, shape.spatial);
  const perView = step.data.find((d) => d.name === 'idx1')!.shape;
  return {
    model: toOnnxModel(step.graph),
    carry: carriedStates(step.graph, step.carried),
    lossOutput: step.lossOutput,
    lrInput: HYPER.lr,
    initState(rng) {
      const values = initialTrainState(step, rng);
      return new Map([...values].map(([name, data]) => [name, tensor('F32', shapeOf.get(name) ?? [data.length], data)]));
    },
    batch(stepNumber, rng) {
      const volume = volumes[volumes.length === 1 ? 0 : nextInt(rng, volumes.length)]!;
      const b = sampleCoordsBatch(rng, volume, job.pairs, crops, job.standardise ?? 'per-axis', job.augment ? APE_AUGMENT : undefined);
      const out = new Map<string, NamedTensor>([
        ['image', tensor('F32', [2 * job.pairs, 1, pk, pj, pi], b.image)],
        ['idx1', tensor('I64', perView, b.idx1)],
        ['idx2', tensor('I64', perView, b.idx2)],
        ['pos1', tensor('F32', [b.w1.length, 3], b.pos1)],
        ['pos2', tensor('F32', [b.w2.length, 3], b.pos2)],
        ['w1', tensor('F32', [b.w1.length], b.w1)],
        ['w2', tensor('F32', [b.w2.length], b.w2)],
        ['shared', tensor('F32', [b.shared.length], b.shared)],
      ]);
      return withHyperInputs(out, step.hyper, optimizer, job.schedule, stepNumber, 'coords');
    },
    inference: { model: toOnnxModel(inference.graph), params: inference.params.map((p) => p.name) },
  };
}
