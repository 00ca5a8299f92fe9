/**
 * What a segmentation model needs besides its weights: the preprocessing it was trained with (spacing, HU window),
 * its window size, its output activation and its class names. It is stored INSIDE model.onnx, in the ModelProto's
 * `metadata_props` under the key `anadiff.segmentation` (one JSON string), so the model file is self-describing and
 * survives being copied alone. A sidecar `model.json` (same JSON) and a run folder's `config.json` are fallbacks
 * (see resolve-model.ts).
 */
import { onnx } from 'onnx-proto';

export const METADATA_KEY = 'anadiff.segmentation';

export class ModelMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelMetadataError';
  }
}

export interface SegmentModelMetadata {
  readonly format: 'anadiff-segmentation-model';
  readonly version: 1;
  /** Window (patch) size in voxels along i, j, k of the preprocessed grid; the model's input is [B, 1, k, j, i]. */
  readonly patch: readonly [number, number, number];
  /** Target spacing of preprocessCase, mm. */
  readonly spacingMm: readonly [number, number, number];
  /** HU window clipped and scaled to [0, 1]. */
  readonly huWindow: readonly [number, number];
  /** 'sigmoid': one channel per class (no background); 'softmax': channel 0 is background. Outputs are probabilities. */
  readonly activation: 'sigmoid' | 'softmax';
  /** Names of classes 1..n (index 0 is class 1). */
  readonly classNames: readonly string[];
  /** Label value written for class c (default c). */
  readonly labelValues?: readonly number[];
}

const tuple = (v: unknown, n: number, what: string, positive: boolean): number[] => {
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))) {
    throw new ModelMetadataError(`${what} must be ${n} ${positive ? 'positive ' : ''}numbers, got ${JSON.stringify(v)}`);
  }
  return v as number[];
};

/** Validates unknown JSON (from metadata_props, model.json or a config) into metadata; `where` names the source in errors. */
export function parseModelMetadata(value: unknown, where: string): SegmentModelMetadata {
  const fail = (m: string): never => { throw new ModelMetadataError(`${where}: ${m}`); };
  if (typeof value !== 'object' || value === null) return fail('model metadata must be a JSON object');
  const v = value as Record<string, unknown>;
  if (v.format !== 'anadiff-segmentation-model') fail(`format must be "anadiff-segmentation-model", got ${JSON.stringify(v.format)}`);
  if (v.version !== 1) fail(`unsupported version ${JSON.stringify(v.version)} (this anadiff reads version 1)`);
  try {
    const patch = tuple(v.patch, 3, 'patch', true);
    if (!patch.every(Number.isInteger)) fail('patch must be integers');
    const spacingMm = tuple(v.spacingMm, 3, 'spacingMm', true);
    const huWindow = tuple(v.huWindow, 2, 'huWindow', false);
    if (!(huWindow[0]! < huWindow[1]!)) fail(`huWindow must be [low, high] with low < high, got ${JSON.stringify(huWindow)}`);
    if (v.activation !== 'sigmoid' && v.activation !== 'softmax') fail(`activation must be "sigmoid" or "softmax", got ${JSON.stringify(v.activation)}`);
    if (!Array.isArray(v.classNames) || v.classNames.length < 1 || !v.classNames.every((s) => typeof s === 'string')) fail('classNames must be a non-empty list of strings');
    const classNames = v.classNames as string[];
    let labelValues: number[] | undefined;
    if (v.labelValues !== undefined) {
      labelValues = tuple(v.labelValues, classNames.length, 'labelValues (one per class)', true);
      if (!labelValues.every((x) => Number.isInteger(x) && x <= 255)) fail('labelValues must be integers 1..255');
    }
    return Object.freeze({
      format: 'anadiff-segmentation-model', version: 1,
      patch: patch as [number, number, number], spacingMm: spacingMm as [number, number, number], huWindow: huWindow as [number, number],
      activation: v.activation as 'sigmoid' | 'softmax', classNames, ...(labelValues ? { labelValues } : {}),
    });
  } catch (e) {
    if (e instanceof ModelMetadataError && !e.message.startsWith(where)) throw new ModelMetadataError(`${where}: ${e.message}`);
    throw e;
  }
}

/**
 * The ModelProto in `model`, or a ModelMetadataError that names the file: protobuf's own messages ("index out of
 * range", "invalid wire type") say nothing of which file was wrong. Text, a NIfTI or a checkpoint can decode as some
 * protobuf by chance, so a model must also carry an IR version and a graph.
 */
export function decodeOnnxModel(model: Uint8Array, where: string): onnx.ModelProto {
  let proto: onnx.ModelProto;
  try {
    proto = onnx.ModelProto.decode(model);
  } catch (e) {
    throw new ModelMetadataError(`${where}: not an ONNX model (${(e as Error).message})`);
  }
  if (!proto.irVersion || !proto.graph) throw new ModelMetadataError(`${where}: not an ONNX model (no ${proto.irVersion ? 'graph' : 'IR version'})`);
  return proto;
}

/** The metadata stored in a model's metadata_props, or undefined when the model has none. */
export function readEmbeddedMetadata(model: Uint8Array, where: string): SegmentModelMetadata | undefined {
  const proto = decodeOnnxModel(model, where);
  const entry = (proto.metadataProps ?? []).find((p) => p.key === METADATA_KEY);
  if (!entry) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(entry.value ?? '');
  } catch {
    throw new ModelMetadataError(`${where}: metadata_props "${METADATA_KEY}" is not valid JSON`);
  }
  return parseModelMetadata(json, `${where} (metadata_props ${METADATA_KEY})`);
}

/** The model bytes with `metadata` stored in metadata_props (replacing an earlier entry). Weights are untouched. */
export function embedMetadata(model: Uint8Array, metadata: SegmentModelMetadata): Uint8Array {
  const proto = onnx.ModelProto.decode(model);
  const others = (proto.metadataProps ?? []).filter((p) => p.key !== METADATA_KEY);
  proto.metadataProps = [...others, onnx.StringStringEntryProto.create({ key: METADATA_KEY, value: JSON.stringify(metadata) })];
  return onnx.ModelProto.encode(proto).finish();
}

/** The model's input shape [B, C, D, H, W]; -1 for a symbolic dimension (anadiff exports static shapes). */
export function modelInputShape(model: Uint8Array, where: string): { name: string; shape: number[] } {
  const proto = decodeOnnxModel(model, where);
  const initializers = new Set((proto.graph?.initializer ?? []).map((t) => t.name));
  const inputs = (proto.graph?.input ?? []).filter((i) => !initializers.has(i.name ?? ''));
  if (inputs.length !== 1) throw new ModelMetadataError(`${where}: a segmentation model takes exactly one input, this one takes ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`);
  const input = inputs[0]!;
  const dims = input.type?.tensorType?.shape?.dim ?? [];
  // A symbolic dimension (dimParam, e.g. a dynamic batch) reads as -1.
  const shape = dims.map((d) => (d.dimParam ? -1 : Number(d.dimValue ?? -1)));
  if (shape.length !== 5) throw new ModelMetadataError(`${where}: input "${input.name}" has rank ${shape.length}, [B, 1, D, H, W] expected`);
  return { name: input.name ?? 'image', shape };
}
