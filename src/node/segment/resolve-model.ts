/**
 * Finds a segmentation model and its metadata from what the user passed: a run folder (holding model.onnx), an
 * .onnx file, or nothing (the default model at models/default/model.onnx). Metadata comes from, in order:
 * 1. model.onnx's metadata_props `anadiff.segmentation` (travels with the file; see model-metadata.ts),
 * 2. a sidecar `model.json` next to model.onnx (the same JSON),
 * 3. the run folder's `config.json` (the trainer's TrainRequestParams: `job.patch`, `job.window`, `job.loss`,
 *    `job.labels`; spacing `job.spacingMm`, `job.data.spacingMm` or the protocol's 1x1x2 mm).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { onnx } from 'onnx-proto';
import { BTCV13_NAMES } from '../../core/btcv.js';
import { DEFAULT_HU_WINDOW } from '../../core/preprocess/intensity.js';
import { DEFAULT_SPACING_MM } from '../../core/preprocess/resample.js';
import { DEFAULT_MODEL_PATH } from './default-model.js';
import { METADATA_KEY, ModelMetadataError, modelInputShape, parseModelMetadata, readEmbeddedMetadata, type SegmentModelMetadata } from './model-metadata.js';

/** BTCV's 13 organs, classes 1..13 (method.md); the vocabulary lives in core/btcv. */
export { BTCV13_NAMES };

export { DEFAULT_MODEL_PATH };

export interface ResolvedModel {
  readonly onnxPath: string;
  readonly model: Uint8Array;
  readonly metadata: SegmentModelMetadata;
  readonly metadataSource: 'metadata_props' | 'model.json' | 'config.json';
  /** The model's input name and static shape [B, 1, D, H, W]. */
  readonly input: { readonly name: string; readonly shape: readonly number[] };
}

/**
 * Locates model.onnx: `given` (a run folder or an .onnx file) or, when undefined, the default model under the first
 * of `roots` that has one (default: the current folder, then the anadiff installation).
 */
export function locateModel(given: string | undefined, roots: readonly string[] = defaultModelRoots()): string {
  if (given === undefined) {
    const candidates = [...new Set(roots.map((r) => resolve(r, DEFAULT_MODEL_PATH)))];
    const found = candidates.find((p) => existsSync(p));
    if (!found) {
      throw new ModelMetadataError(`the default model is not trained yet (${candidates.length === 1 ? `${candidates[0]} does not exist` : `${candidates.join(' and ')} do not exist`}): train it with \`npm run train:default\` or pass --model RUN_DIR|MODEL.onnx`);
    }
    return found;
  }
  const path = resolve(given);
  if (!existsSync(path)) throw new ModelMetadataError(`--model ${given}: no such file or folder`);
  if (statSync(path).isDirectory()) {
    const inside = join(path, 'model.onnx');
    if (!existsSync(inside)) throw new ModelMetadataError(`--model ${given}: the folder has no model.onnx (a run exports it when training finishes)`);
    return inside;
  }
  return path;
}

/**
 * Where the default model may be: the current folder, then the anadiff installation this code runs from (the folder
 * above src/ or dist/ that holds package.json), so `anadiff segment` works from any folder.
 */
export function defaultModelRoots(): string[] {
  const out = [process.cwd()];
  for (let dir = __dirname, i = 0; i < 5; i++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      out.push(dir);
      break;
    }
  }
  return out;
}

export function resolveModel(given: string | undefined, roots?: readonly string[]): ResolvedModel {
  const onnxPath = locateModel(given, roots);
  const model = new Uint8Array(readFileSync(onnxPath));
  const input = modelInputShape(model, onnxPath);
  const embedded = readEmbeddedMetadata(model, onnxPath);
  if (embedded) return checked({ onnxPath, model, metadata: embedded, metadataSource: 'metadata_props', input });
  const sidecar = join(dirname(onnxPath), 'model.json');
  if (existsSync(sidecar)) {
    return checked({ onnxPath, model, metadata: parseModelMetadata(readJson(sidecar), sidecar), metadataSource: 'model.json', input });
  }
  const config = join(dirname(onnxPath), 'config.json');
  if (existsSync(config)) {
    return checked({ onnxPath, model, metadata: metadataFromRunConfig(readJson(config), outputChannels(model), config), metadataSource: 'config.json', input });
  }
  throw new ModelMetadataError(`${onnxPath}: no model metadata: the model has no metadata_props "${METADATA_KEY}" and there is no model.json or config.json next to it`);
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ModelMetadataError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Output channels of the model's (single) output, from its declared shape [B, C, D, H, W]. */
function outputChannels(model: Uint8Array): number {
  const out = onnx.ModelProto.decode(model).graph?.output?.[0];
  const c = out?.type?.tensorType?.shape?.dim?.[1]?.dimValue;
  return c === undefined || c === null ? -1 : Number(c);
}

/** Metadata from a run folder's config.json (TrainRequestParams with a segmentation job). */
export function metadataFromRunConfig(config: unknown, channels: number, where: string): SegmentModelMetadata {
  const job = (config as { job?: Record<string, unknown> } | null)?.job;
  if (!job || job.kind !== 'segmentation') throw new ModelMetadataError(`${where}: not a segmentation run's config (no job.kind "segmentation")`);
  const activation = job.loss === 'softmax-ce' ? 'softmax' : 'sigmoid';
  const labels = Array.isArray(job.labels) ? (job.labels as number[]) : undefined;
  const classes = labels?.length ?? (activation === 'softmax' ? channels - 1 : channels);
  if (!(classes >= 1)) throw new ModelMetadataError(`${where}: cannot tell the number of classes (no job.labels and no static output shape)`);
  const names = Array.isArray(job.classNames) ? (job.classNames as string[])
    : classes === 13 && (!labels || labels.every((v, i) => v === i + 1)) ? [...BTCV13_NAMES]
      : Array.from({ length: classes }, (_, c) => `class ${labels?.[c] ?? c + 1}`);
  return parseModelMetadata({
    format: 'anadiff-segmentation-model', version: 1, patch: job.patch, activation, classNames: names,
    spacingMm: job.spacingMm ?? (job.data as { spacingMm?: unknown } | undefined)?.spacingMm ?? DEFAULT_SPACING_MM, huWindow: job.window ?? DEFAULT_HU_WINDOW,
    ...(labels ? { labelValues: labels } : {}),
  }, where);
}

/** The metadata must agree with the model's input and output shapes, or windows would be cut wrong. */
function checked(m: ResolvedModel): ResolvedModel {
  const [, c, d, h, w] = m.input.shape;
  const [pi, pj, pk] = m.metadata.patch;
  if (c !== 1 || d !== pk || h !== pj || w !== pi) {
    throw new ModelMetadataError(`${m.onnxPath}: the model's input [${m.input.shape.join(', ')}] does not match the metadata's patch ${pi}x${pj}x${pk} (i x j x k; input [B, 1, ${pk}, ${pj}, ${pi}] expected)`);
  }
  const channels = outputChannels(m.model);
  const expected = m.metadata.classNames.length + (m.metadata.activation === 'softmax' ? 1 : 0);
  if (channels > 0 && channels !== expected) {
    throw new ModelMetadataError(`${m.onnxPath}: the model outputs ${channels} channels but the metadata names ${m.metadata.classNames.length} classes (${m.metadata.activation}: ${expected} channels expected)`);
  }
  return m;
}
