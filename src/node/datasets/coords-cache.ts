/**
 * A coordinate model's prediction for every voxel of a CT (guided pretraining's `--coords RUN|MODEL.onnx`), computed
 * once per CT and model and cached as raw float32 (3 x voxels, channel-major, the CT's own voxel order) under
 * `.anadiff/cache/coords/`, keyed by the sha256 of the CT file (the phantom: its seed) and of the model file. A
 * changed CT or model misses; a truncated cache file (a killed write never leaves one: atomic) is recomputed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Grid, VoxelArray } from '../../core/preprocess/index.js';
import type { NiftiImage } from '../../core/nifti/decode.js';
import { coordsOfCt, resolveCoordsModel } from '../coords/predict-file.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { fileSha256 } from './cache.js';

export function defaultCoordsCache(cwd = process.cwd()): string {
  return join(cwd, '.anadiff', 'cache', 'coords');
}

/** The model a run was started with, by content: a changed file must not silently guide a resumed run. */
export function coordsModelOf(given: string): { readonly model: string; readonly sha256: string } {
  const onnx = resolveCoordsModel(given).onnx;
  return { model: onnx, sha256: createHash('sha256').update(readFileSync(onnx)).digest('hex') };
}

/** The CT's coordinates from the model (3 grids on the CT's own grid, model units), from the cache when present. */
export async function predictedCoordsCached(
  ct: { readonly id: string; readonly file?: string; readonly image: Grid<VoxelArray> },
  model: { readonly model: string; readonly sha256: string },
  options: { readonly cacheDir?: string; readonly threads?: number } = {},
): Promise<Grid<Float32Array>[]> {
  const { dims, ijkToRas } = ct.image;
  const voxels = dims[0]! * dims[1]! * dims[2]!;
  const ctKey = ct.file ? await fileSha256(ct.file) : `generated:${ct.id}`;
  const dir = options.cacheDir ?? defaultCoordsCache();
  const path = join(dir, `${createHash('sha256').update(`${ctKey}|${model.sha256}|${dims.join('x')}`).digest('hex')}.f32`);
  let data: Float32Array;
  if (existsSync(path) && statSync(path).size === 12 * voxels) {
    const bytes = readFileSync(path);
    data = new Float32Array(bytes.buffer, bytes.byteOffset, 3 * voxels);
  } else {
    const files = resolveCoordsModel(model.model);
    const bytes = new Uint8Array(readFileSync(files.onnx));
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== model.sha256) throw new Error(`coordinate model ${files.onnx} changed since this run began (sha256 ${sha.slice(0, 12)}…, the run's ${model.sha256.slice(0, 12)}…)`);
    ({ data } = await coordsOfCt({ dims, ijkToRas, data: ct.image.data } as NiftiImage, files, bytes, options.threads ? { threads: options.threads } : {}));
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(path, [new Uint8Array(data.buffer, data.byteOffset, data.byteLength)], { overwrite: true });
  }
  return [0, 1, 2].map((c) => ({ dims, ijkToRas, data: data.subarray(c * voxels, (c + 1) * voxels) }));
}
