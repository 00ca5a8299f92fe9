/** Job kinds buildStepProgram turns from a JobSpec (plain data, as config.json stores it) into a StepProgram. One case per kind. */
import type { JobSpec } from './job-spec.js';
import type { StepProgram } from '../../engine/step-program.js';
import { segmentationProgram } from './segmentation.js';
import { toyLinearProgram } from './toy-linear.js';

/** Async: a job may load data (a NIfTI pair) before its first step. */
export async function buildStepProgram(spec: JobSpec): Promise<StepProgram> {
  switch (spec.kind) {
    case 'toy-linear':
      return toyLinearProgram(spec);
    case 'segmentation':
      return segmentationProgram(spec);
    default: {
      const unknownKind: never = spec;
      throw new Error(`unknown job kind ${JSON.stringify(unknownKind)}`);
    }
  }
}
