/**
 * `anadiff coords predict`: body-part coordinates for every voxel of a CT, written as a 4D float32 NIfTI on the
 * input's own grid and affine (X, Y, Z, 3). Arguments and paths are checked before the model or the CT is read; a
 * CT that is not a 3-D CT is refused unless `force`; nothing is written on failure (atomic write).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { predictCoords } from '../../core/coords/predict.js';
import { coordsVolumeOf } from '../../core/coords/volume.js';
import { ctInputProblems } from '../../core/infer/ct-input.js';
import { reorientFromRas, reorientToRas } from '../../core/volume/orientation.js';
import { createSession } from '../engine/providers.js';
import { checkInputFile, checkOutputFile } from '../io/output-path.js';
import { readNamedNiftiFile } from '../nifti/read-file.js';
import type { NiftiImage } from '../../core/nifti/decode.js';
import { writeNiftiFile } from '../nifti/write-file.js';
import type { CoordsModelInfo } from '../train/coords-run.js';
import { loadJsonFile, RUN_FILES } from '../runs/run-folder.js';
import { decodeOnnxModel } from '../segment/model-metadata.js';
import { defaultModelRoots } from '../segment/resolve-model.js';

export class CoordsPredictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CoordsPredictError';
  }
}

/** Where the committed default coordinate model lives (relative to the package root). */
export const DEFAULT_COORDS_MODEL = join('models', 'coords', 'model.onnx');

export interface CoordsModelFiles {
  readonly onnx: string;
  /** The model.json read: `<name>.json` beside `<name>.onnx` (what Export ONNX writes), else `model.json`. */
  readonly infoPath: string;
  readonly info: CoordsModelInfo;
}

/** The metadata file of a coordinate model's .onnx: `<name>.json` beside it when there is one, else `model.json`. */
export function coordsModelInfoPath(onnx: string): string {
  const own = join(dirname(onnx), `${basename(onnx, '.onnx')}.json`);
  return existsSync(own) ? own : join(dirname(onnx), RUN_FILES.modelInfo);
}

/** A run folder (its model.onnx) or an .onnx file, each with its model.json beside it; without one, the default. */
export function resolveCoordsModel(given: string | undefined, roots: readonly string[] = defaultModelRoots()): CoordsModelFiles {
  let onnx: string;
  if (given === undefined) {
    const found = roots.map((r) => join(r, DEFAULT_COORDS_MODEL)).find((p) => existsSync(p));
    if (!found) throw new CoordsPredictError(`no default coordinate model is installed (${DEFAULT_COORDS_MODEL} under ${roots.join(' or ')}); train one with \`anadiff coords train\` and pass --model RUN_DIR`);
    onnx = found;
  } else {
    onnx = existsSync(given) && statSync(given).isDirectory() ? join(given, RUN_FILES.model) : given;
    if (!existsSync(onnx)) throw new CoordsPredictError(`--model ${given}: ${onnx} does not exist${given.endsWith('.onnx') ? '' : ' (has the run finished?)'}`);
  }
  let info: CoordsModelInfo;
  const infoPath = coordsModelInfoPath(onnx);
  try {
    info = loadJsonFile<CoordsModelInfo>(infoPath, 'anadiff-coords-model');
  } catch (error) {
    throw new CoordsPredictError(`--model ${given ?? onnx}: ${(error as Error).message}`);
  }
  return { onnx: resolve(onnx), infoPath: resolve(infoPath), info };
}

export interface CoordsPredictRequest {
  readonly input: string;
  readonly output: string;
  readonly model?: string;
  /** Where the default model is looked for (default: the current folder, then the installation). */
  readonly modelRoots?: readonly string[];
  readonly overwrite?: boolean;
  readonly force?: boolean;
  readonly threads?: number;
  readonly provider?: 'auto' | 'cpu' | 'cuda';
  readonly onProgress?: (done: number, total: number) => void;
  readonly onLog?: (message: string) => void;
  readonly shouldStop?: () => boolean;
}

export interface CoordsPredictSummary {
  readonly input: string;
  readonly output: string;
  readonly model: string;
  readonly dims: readonly [number, number, number];
  /** The spacing windows were resampled to (mm). */
  readonly windowSpacing: readonly [number, number, number];
  readonly windows: number;
  readonly seconds: number;
}

/** The spacing prediction reads at: the middle of the training range, never finer than the CT itself. */
export function predictionSpacing(info: CoordsModelInfo, ctSpacing: readonly number[]): [number, number, number] {
  return [0, 1, 2].map((a) => Math.max(ctSpacing[a]!, (info.minSpacing[a]! + info.maxSpacing[a]!) / 2)) as [number, number, number];
}

export async function predictCoordsFile(request: CoordsPredictRequest): Promise<CoordsPredictSummary> {
  const started = performance.now();
  checkInputFile(request.input, '--input');
  const model = resolveCoordsModel(request.model, request.modelRoots);
  checkOutputFile(request.output, { flag: '--output', overwrite: request.overwrite ?? false, inputs: [request.input, model.onnx] });
  const bytes = new Uint8Array(readFileSync(model.onnx));
  decodeOnnxModel(bytes, model.onnx);

  const ct = await readNamedNiftiFile(request.input);
  const problems = ctInputProblems(ct);
  if (problems.length > 0) {
    if (!request.force) throw new CoordsPredictError(`--input ${request.input}: ${problems.join('; ')}; pass --force to predict anyway`);
    request.onLog?.(`--force: predicting on ${request.input} although ${problems.join('; ')}`);
  }
  const { data, windows, spacing } = await coordsOfCt(ct, model, bytes, request);
  await writeNiftiFile(request.output, { dims: ct.dims, ijkToRas: ct.ijkToRas, data, frames: 3, header: ct.header }, {
    overwrite: request.overwrite ?? false, datatype: 'float32',
    description: 'anadiff body coordinates (APE model units, not mm)',
  });
  return {
    input: request.input, output: request.output, model: model.onnx, dims: ct.dims, windowSpacing: spacing, windows,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

export interface CtCoordinates {
  /** Channel-major [3, voxels] in the CT's own voxel order. */
  readonly data: Float32Array;
  /** 1 inside the body (vox2vec's mask), same order. */
  readonly body: Uint8Array;
  readonly windows: number;
  readonly spacing: readonly [number, number, number];
}

type RunOptions = Pick<CoordsPredictRequest, 'threads' | 'provider' | 'onProgress' | 'shouldStop'>;

/** Coordinates of a CT already read (RAS inside, the CT's own voxel order outside). */
export async function coordsOfCt(ct: NiftiImage, model: CoordsModelFiles, bytes: Uint8Array, request: RunOptions): Promise<CtCoordinates> {
  const ras = reorientToRas({ dims: ct.dims, ijkToRas: ct.ijkToRas, data: ct.data });
  const volume = coordsVolumeOf(ras);
  const spacing = predictionSpacing(model.info, volume.spacing);
  const [pi, pj, pk] = model.info.patch;
  const session = await createSession(bytes, { ...(request.threads ? { threads: request.threads } : {}), ...(request.provider && request.provider !== 'auto' ? { provider: request.provider } : {}) });
  const { Tensor } = await import('onnxruntime-node');
  let windows = 0;
  let channels: Float32Array;
  try {
    channels = await predictCoords(volume, async (image) => {
      windows++;
      const out = await session.run({ image: new Tensor('float32', image, [1, 1, pk, pj, pi]) });
      const map = out.coords?.data;
      if (!(map instanceof Float32Array)) throw new CoordsPredictError(`${model.onnx}: the model has no float output "coords"`);
      return map;
    }, { patch: model.info.patch, spacing, ...(request.onProgress ? { onProgress: request.onProgress } : {}), ...(request.shouldStop ? { shouldStop: request.shouldStop } : {}) });
  } finally {
    await session.release();
  }
  const voxels = ct.dims[0] * ct.dims[1] * ct.dims[2];
  const data = new Float32Array(3 * voxels);
  for (let c = 0; c < 3; c++) data.set(reorientFromRas(channels.subarray(c * voxels, (c + 1) * voxels), ct.dims, ct.ijkToRas), c * voxels);
  const bodyRas = Float32Array.from(volume.body);
  const body = Uint8Array.from(reorientFromRas(bodyRas, ct.dims, ct.ijkToRas));
  return { data, body, windows, spacing };
}
