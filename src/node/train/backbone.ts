/**
 * `--backbone RUN_OR_CKPT` -> a checkpoint manifest path: a run folder's best/ checkpoint, else its newest one in
 * checkpoints/, or a checkpoint manifest (.json) given directly. The parameters under `backbone.` start the run.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { listCheckpointSteps, manifestPathFor } from '../engine/checkpoint-store.js';
import { RUN_FILES } from '../runs/run-folder.js';

export class BackboneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackboneError';
  }
}

export function resolveBackbone(given: string, flag = '--backbone'): string {
  const path = resolve(given);
  if (!existsSync(path)) throw new BackboneError(`${flag} ${given}: no such file or folder`);
  if (!statSync(path).isDirectory()) {
    if (!path.endsWith('.json')) throw new BackboneError(`${flag} ${given}: expected a run folder or a checkpoint manifest (step-XXXXXXXX.json)`);
    return path;
  }
  for (const dir of [join(path, RUN_FILES.best), join(path, RUN_FILES.checkpoints), path]) {
    const steps = listCheckpointSteps(dir);
    const last = steps[steps.length - 1];
    if (last !== undefined) return manifestPathFor(dir, last);
  }
  throw new BackboneError(`${flag} ${given}: the folder holds no checkpoint (best/, checkpoints/ or step-*.json)`);
}

/**
 * `--init MODEL|RUN|CKPT` -> the source of every starting parameter: an exported model (.onnx, e.g.
 * models/default/model.onnx) as it is, else a run folder or checkpoint manifest as for --backbone.
 */
export function resolveInitWeights(given: string): string {
  const path = resolve(given);
  if (path.endsWith('.onnx')) {
    if (!existsSync(path) || statSync(path).isDirectory()) throw new BackboneError(`--init ${given}: no such model file`);
    return path;
  }
  return resolveBackbone(given, '--init');
}
