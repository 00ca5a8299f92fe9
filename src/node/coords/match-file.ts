/**
 * `anadiff coords match`: the voxel of scan B at the same anatomical point as voxel (i, j, k) of scan A, by nearest
 * body-part coordinates. A and B are CTs (coordinates predicted here) or coordinate files from `coords predict`
 * (4D float32, 3 frames), which skips the prediction; in a CT only body voxels are candidates.
 */
import { readFileSync } from 'node:fs';
import { coordinateAt, nearestCoordinate } from '../../core/coords/match.js';
import { ctInputProblems } from '../../core/infer/ct-input.js';
import type { NiftiImage } from '../../core/nifti/decode.js';
import { applyMat4 } from '../../core/volume/mat4.js';
import { checkInputFile } from '../io/output-path.js';
import { readNamedNiftiFile } from '../nifti/read-file.js';
import { coordsOfCt, CoordsPredictError, resolveCoordsModel, type CoordsModelFiles } from './predict-file.js';

export interface MatchRequest {
  readonly from: string;
  readonly at: readonly [number, number, number];
  readonly to: string;
  readonly model?: string;
  readonly modelRoots?: readonly string[];
  readonly force?: boolean;
  readonly threads?: number;
  readonly provider?: 'auto' | 'cpu' | 'cuda';
}

export interface MatchedPoint {
  readonly file: string;
  readonly voxel: readonly [number, number, number];
  /** World position (RAS mm) of the voxel. */
  readonly mm: readonly [number, number, number];
}

export interface MatchResult {
  readonly from: MatchedPoint;
  readonly to: MatchedPoint;
  /** Coordinate-space distance between the query and its match (model units). */
  readonly distance: number;
}

interface LoadedCoords {
  readonly image: NiftiImage;
  readonly data: Float32Array;
  readonly body?: Uint8Array;
}

function isCoordsFile(image: NiftiImage): boolean {
  return image.frames === 3 && image.datatype === 'float32';
}

export async function matchPoint(request: MatchRequest): Promise<MatchResult> {
  checkInputFile(request.from, '--from');
  checkInputFile(request.to, '--to');
  const a = await readNamedNiftiFile(request.from);
  const [i, j, k] = request.at;
  if (![i, j, k].every((v, axis) => Number.isInteger(v) && v >= 0 && v < a.dims[axis]!)) {
    throw new CoordsPredictError(`--at ${request.at.join(',')}: outside ${request.from}, whose voxels run 0..${a.dims.map((d) => d - 1).join(', 0..')}`);
  }
  let model: { files: CoordsModelFiles; bytes: Uint8Array } | undefined;
  const load = async (file: string, flag: string, image: NiftiImage): Promise<LoadedCoords> => {
    if (isCoordsFile(image)) {
      const frames = [image, await readNamedNiftiFile(file, { frame: 1 }), await readNamedNiftiFile(file, { frame: 2 })];
      const n = image.data.length;
      const data = new Float32Array(3 * n);
      frames.forEach((f, c) => data.set(f.data, c * n));
      return { image, data };
    }
    const problems = ctInputProblems(image);
    if (problems.length > 0 && !request.force) throw new CoordsPredictError(`${flag} ${file}: ${problems.join('; ')}; give a CT or a coordinate file from \`anadiff coords predict\` (or --force)`);
    if (!model) {
      const files = resolveCoordsModel(request.model, request.modelRoots);
      model = { files, bytes: new Uint8Array(readFileSync(files.onnx)) };
    }
    const coords = await coordsOfCt(image, model.files, model.bytes, request);
    return { image, data: coords.data, body: coords.body };
  };
  const from = await load(request.from, '--from', a);
  const to = await load(request.to, '--to', await readNamedNiftiFile(request.to));
  const flat = i + a.dims[0] * (j + a.dims[1] * k);
  const found = nearestCoordinate(to.data, coordinateAt(from.data, flat), to.body);
  const [ni, nj] = to.image.dims;
  const voxel: [number, number, number] = [found.index % ni, Math.floor(found.index / ni) % nj, Math.floor(found.index / (ni * nj))];
  const world = (image: NiftiImage, v: readonly [number, number, number]) => applyMat4(image.ijkToRas, v).map((x) => Math.round(x * 100) / 100) as [number, number, number];
  return {
    from: { file: request.from, voxel: [i, j, k], mm: world(from.image, [i, j, k]) },
    to: { file: request.to, voxel, mm: world(to.image, voxel) },
    distance: found.distance,
  };
}
