/**
 * The scalar inputs every training step graph reads besides its data: the optimizer's hyper-parameters for this step
 * (the learning rate from the job's schedule, evaluated at step - 1, and what the rule derives from it).
 */
import type { NamedTensor } from '../../../core/checkpoint/safetensors.js';
import { optimizerHyper, type OptimizerConfig } from '../../../core/optim/optimizer.js';
import { learningRate, type Schedule } from '../../../core/optim/schedules.js';
import { JobError } from './segmentation-data.js';

/** Sets each of `names` (the step graph's hyper inputs) in `out` for `stepNumber` (1-based); returns `out`. */
export function withHyperInputs(out: Map<string, NamedTensor>, names: readonly string[], optimizer: OptimizerConfig, schedule: Schedule, stepNumber: number, what: string): Map<string, NamedTensor> {
  const hyper = optimizerHyper(optimizer, stepNumber, learningRate(schedule, stepNumber - 1));
  for (const name of names) {
    const value = hyper[name];
    if (value === undefined) throw new JobError(`${what}: no value for hyper input ${name}`);
    out.set(name, { dtype: 'F32', shape: [], data: Float32Array.of(value) });
  }
  return out;
}
