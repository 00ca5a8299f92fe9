/**
 * `segment` as a function: CT file in, label-map file out, aligned with the CT (its header, affine and shape). The
 * output is checked before any work (src/node/io/output-path.ts: never the input, never replaced without `overwrite`,
 * its folder writable) and written atomically by writeNiftiFile.
 */
import { resolve } from 'node:path';
import { ctInputProblems, ctInputStats } from '../../core/infer/ct-input.js';
import { inputWarnings, trustFacts } from '../../core/infer/trust.js';
import { checkInputFile, checkOutputFile } from '../io/output-path.js';
import { organStats, withConfidence, type OrganStat } from '../../core/metrics/organ-stats.js';
import type { NiftiSummary } from '../../core/nifti/index.js';
import type { PreprocessedCase } from '../../core/preprocess/index.js';
import { readNamedNiftiFile, writeNiftiFile } from '../nifti/index.js';
import type { SegmentModelMetadata } from './model-metadata.js';
import { createOnnxPredictor } from './onnx-predictor.js';
import { resolveModel, type ResolvedModel } from './resolve-model.js';
import { inferSegmentation, prepareSegmentation, SegmentError, decisionFor, type SegmentOptions } from './segment-volume.js';

export interface SegmentFileOptions extends SegmentOptions {
  /** Run folder or .onnx file; undefined: the default model under `root`. */
  readonly model?: string;
  readonly input: string;
  readonly output: string;
  /** Folders searched for models/default/model.onnx (default: the current folder, then the anadiff installation). */
  readonly roots?: readonly string[];
  readonly device?: 'auto' | 'cpu' | 'cuda';
  readonly threads?: number;
  readonly overwrite?: boolean;
  /** Segment an input that fails the CT checks (core/infer/ct-input.ts) instead of refusing it. */
  readonly force?: boolean;
  /** One line per notable event (provider fallback, model source). */
  readonly onLog?: (message: string) => void;
  /** Each input warning (core/infer/trust.ts) as soon as preprocessing found it, before inference. */
  readonly onWarning?: (message: string) => void;
  /** Aborting stops the run at the next window (or before the write); nothing is written then. */
  readonly signal?: AbortSignal;
}

export interface SegmentFileResult {
  readonly model: Pick<ResolvedModel, 'onnxPath' | 'metadataSource'>;
  readonly provider: 'cpu' | 'cuda';
  readonly dims: readonly [number, number, number];
  readonly workingDims: readonly [number, number, number];
  readonly windows: number;
  /** Voxels (on the working grid) the largest-component step set to background. */
  readonly removedVoxels: number;
  /** Voxels per label value present (0 included). */
  readonly counts: Record<number, number>;
  /**
   * Per organ present: voxels, volume in mL, mean image value (HU) inside and the model's confidence (mean predicted
   * probability on the working grid), named by the model's classes.
   */
  readonly organs: readonly OrganStat[];
  /** Why this input lies outside what the model was trained on (core/infer/trust.ts), each with what to do; [] if none. */
  readonly warnings: readonly string[];
  readonly ms: number;
}

export async function segmentFile(options: SegmentFileOptions): Promise<SegmentFileResult> {
  const started = performance.now();
  const output = resolve(options.output);
  if (!/\.nii(\.gz)?$/.test(output)) throw new SegmentError(`${options.output}: the output must end in .nii or .nii.gz`);
  checkInputFile(options.input, '--input');
  checkOutputFile(options.output, { flag: '--output', overwrite: options.overwrite ?? false, inputs: [options.input, ...(options.model !== undefined ? [options.model] : [])] });
  const model = resolveModel(options.model, options.roots);
  decisionFor(model.metadata, options.decision); // a wrong --threshold/--argmax fails before the CT is read
  const { input, pre, minHu } = await readAndPrepare(options, model.metadata);
  if (input.frames > 1) options.onLog?.(`${options.input} has ${input.frames} frames; segmenting frame ${input.frame}`);
  const warnings = inputWarnings(trustFacts(pre, model.metadata, minHu));
  for (const w of warnings) options.onWarning?.(w);
  // onnxruntime's load errors name a node or an op, not the file: say which model it was.
  const predictor = await createOnnxPredictor(model.model, model.input, {
    provider: options.device ?? 'auto', ...(options.threads !== undefined ? { threads: options.threads } : {}),
  }).catch((e: unknown) => {
    if (e instanceof SegmentError) throw e;
    throw new SegmentError(`${model.onnxPath}: onnxruntime cannot load the model (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`);
  });
  if (predictor.fallbackReason) options.onLog?.(`CUDA unavailable, running on CPU: ${predictor.fallbackReason}`);
  const stopped = (): SegmentError => new SegmentError('stopped before the output was written');
  let result: Awaited<ReturnType<typeof inferSegmentation>>;
  try {
    result = await inferSegmentation(pre, model.metadata, predictor.predict, {
      ...options,
      onProgress: (done, total) => {
        if (options.signal?.aborted) throw stopped();
        options.onProgress?.(done, total);
      },
    });
    if (options.signal?.aborted) throw stopped();
    await writeNiftiFile(output, { dims: input.dims, ijkToRas: input.ijkToRas, data: result.labels }, {
      reference: input.header, datatype: 'uint8', overwrite: options.overwrite ?? false, description: 'anadiff segment',
    });
  } finally {
    await predictor.release();
  }
  const counts: Record<number, number> = {};
  for (const v of result.labels) counts[v] = (counts[v] ?? 0) + 1;
  // After the session is released, so its memory and the CT's are never held together.
  const organs = withConfidence(await organTable(options.input, result.labels, model.metadata), result.confidence);
  return {
    model: { onnxPath: model.onnxPath, metadataSource: model.metadataSource }, provider: predictor.provider,
    dims: input.dims, workingDims: result.workingDims, windows: result.windows, removedVoxels: result.removedVoxels, counts,
    organs, warnings, ms: performance.now() - started,
  };
}

/** A label value's class name: `labelValues[c]` (default c + 1) is class c's value in the written map. */
function labelNames(metadata: SegmentModelMetadata): (label: number) => string | undefined {
  const byValue = new Map(metadata.classNames.map((name, c) => [metadata.labelValues?.[c] ?? c + 1, name] as const));
  return (label) => byValue.get(label);
}

/**
 * Per-organ volume and mean HU. The CT is read again here rather than kept through inference: holding its float32
 * voxels (314 MB on a 512x512x300 scan) during inference is what pushed segment past its memory target.
 */
async function organTable(path: string, labels: Uint8Array, metadata: SegmentModelMetadata): Promise<readonly OrganStat[]> {
  const ct = await readNamedNiftiFile(path);
  return organStats(labels, ct.data, ct.ijkToRas, labelNames(metadata));
}

/**
 * Reads the CT and preprocesses it; only the header, the geometry and the lowest value (for the input warnings) leave
 * this function, so the float32 CT (314 MB on a 512x512x300 scan) can be collected before inference: segment peaked
 * at 1.10 GB with it, 0.6 GB without.
 */
async function readAndPrepare(options: SegmentFileOptions, metadata: SegmentModelMetadata): Promise<{ input: NiftiSummary; pre: PreprocessedCase; minHu: number }> {
  const { data, ...input } = await readNamedNiftiFile(options.input);
  const stats = ctInputStats(data);
  const problems = ctInputProblems({ ...input, data }, stats);
  if (problems.length > 0) {
    if (!options.force) throw new SegmentError(`--input ${options.input}: ${problems.join('; ')}; pass --force to segment it anyway`);
    options.onLog?.(`--force: segmenting ${options.input} although ${problems.join('; ')}`);
  }
  return { input, pre: prepareSegmentation({ dims: input.dims, ijkToRas: input.ijkToRas, data }, metadata), minHu: stats.min };
}
