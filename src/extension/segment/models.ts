/**
 * The models `Segment Organs` offers: the shipped default model (models/default/ inside the extension) and every
 * finished training run in the workspace (a run folder exports model.onnx when training finishes), newest first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultRunsRoot, RUN_FILES } from '../../node/runs/run-folder.js';
import { DEFAULT_MODEL_PATH } from '../../node/segment/default-model.js';

export interface ModelChoice {
  readonly label: string;
  readonly description: string;
  /** The .onnx file passed to `segment --model`. */
  readonly modelPath: string;
}

export function segmentationModels(extensionPath: string, workspaceFolders: readonly string[]): ModelChoice[] {
  const choices: ModelChoice[] = [];
  const shipped = path.join(extensionPath, DEFAULT_MODEL_PATH);
  if (fs.existsSync(shipped)) choices.push({ label: 'Default model', description: 'BTCV-13 organs, shipped with AnaDiff', modelPath: shipped });
  const runs: (ModelChoice & { readonly mtimeMs: number })[] = [];
  for (const folder of workspaceFolders) {
    const root = defaultRunsRoot(folder);
    let names: string[];
    try {
      names = fs.readdirSync(root);
    } catch {
      continue; // no runs in this folder
    }
    for (const name of names) {
      const modelPath = path.join(root, name, RUN_FILES.model);
      const stat = fs.statSync(modelPath, { throwIfNoEntry: false });
      if (!stat?.isFile()) continue; // still training, or stopped before the export
      if (isCoordinateModel(path.join(root, name, RUN_FILES.modelInfo))) continue; // coords train: no organs to segment
      const where = workspaceFolders.length > 1 ? `${path.basename(folder)}/` : '';
      runs.push({ label: name, description: `finished run, ${where}.anadiff/runs`, modelPath, mtimeMs: stat.mtimeMs });
    }
  }
  runs.sort((a, b) => b.mtimeMs - a.mtimeMs);
  return [...choices, ...runs.map(({ label, description, modelPath }) => ({ label, description, modelPath }))];
}

/** A `coords train` run's model.json: its model.onnx gives body-part coordinates, not organ labels. */
function isCoordinateModel(modelJson: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(modelJson, 'utf8')) as { format?: unknown }).format === 'anadiff-coords-model';
  } catch {
    return false;
  }
}
