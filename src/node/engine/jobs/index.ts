/** Job kinds the worker can build from a JobSpec (plain data) into a StepProgram. One case per kind. */
import type { JobSpec } from '../../../protocol/engine.js';
import type { StepProgram } from '../step-program.js';
import { toyLinearProgram } from './toy-linear.js';

export function buildStepProgram(spec: JobSpec): StepProgram {
  switch (spec.kind) {
    case 'toy-linear':
      return toyLinearProgram(spec);
    default: {
      const unknownKind: never = spec.kind;
      throw new Error(`unknown job kind ${JSON.stringify(unknownKind)}`);
    }
  }
}
