/**
 * The finetune switch, explicit: the frozen phase's newest checkpoint, verified against the frozen step graph, becomes
 * a resume point of the unfrozen graph IN MEMORY. Every tensor is kept as it is; the only tensors the unfrozen graph
 * may add are optimizer state (role 'state') of parameters the checkpoint holds frozen, and they start at zero
 * (PyTorch: a fresh param group). Anything else missing, any tensor that would be dropped, and any dtype or shape
 * change is an error naming it. The checkpoint on disk is never rewritten: the unfrozen graph's first checkpoint is
 * the trainer's next one, under a new step.
 */
import { CheckpointError } from '../../core/checkpoint/manifest.js';
import type { NamedTensor, SafetensorsDtype } from '../../core/checkpoint/safetensors.js';
import type { LoadedCheckpoint } from '../engine/checkpoint-store.js';
import type { StepProgram } from '../engine/step-program.js';
import { expectationOf, resumePointOf, type ResumePoint } from '../engine/trainer.js';

function zeros(dtype: SafetensorsDtype, shape: readonly number[]): NamedTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  switch (dtype) {
    case 'F32': return { dtype, shape, data: new Float32Array(n) };
    case 'F64': return { dtype, shape, data: new Float64Array(n) };
    case 'F16': return { dtype, shape, data: new Uint16Array(n) };
    case 'I64': return { dtype, shape, data: new BigInt64Array(n) };
    case 'I32': return { dtype, shape, data: new Int32Array(n) };
    case 'U8': return { dtype, shape, data: new Uint8Array(n) };
    default: {
      const never: never = dtype;
      return never;
    }
  }
}

/** The frozen graph's checkpoint as the unfrozen graph's resume point; CheckpointError naming the tensor otherwise. */
export function unfreezeResumePoint(checkpoint: LoadedCheckpoint, frozen: StepProgram, unfrozen: StepProgram): ResumePoint {
  const from = resumePointOf(expectationOf(frozen), checkpoint)!;
  const frozenParams = frozen.carry.filter((c) => c.role === 'param').map((c) => c.input);
  const where = checkpoint.manifestPath;
  const tensors = new Map<string, NamedTensor>();
  for (const c of unfrozen.carry) {
    const kept = from.tensors.get(c.input);
    if (kept) {
      if (kept.dtype !== c.dtype || kept.shape.join() !== c.shape.join()) {
        throw new CheckpointError(`cannot unfreeze: tensor ${c.input} is ${kept.dtype} [${kept.shape.join(', ')}] in the frozen graph, ${c.dtype} [${c.shape.join(', ')}] in the unfrozen one`, where);
      }
      tensors.set(c.input, kept);
      continue;
    }
    const ofFrozenParam = c.role === 'state' && frozenParams.some((p) => c.input.endsWith(`.${p}`));
    if (!ofFrozenParam) throw new CheckpointError(`cannot unfreeze: tensor ${c.input} has no value in the frozen checkpoint and is not optimizer state of a frozen parameter`, where);
    tensors.set(c.input, zeros(c.dtype, c.shape));
  }
  const dropped = [...from.tensors.keys()].filter((n) => !tensors.has(n)).sort()[0];
  if (dropped !== undefined) throw new CheckpointError(`cannot unfreeze: tensor ${dropped} of the frozen checkpoint has no place in the unfrozen graph`, where);
  return { ...from, tensors, source: `${where}, frozen backbone unfrozen in memory` };
}
