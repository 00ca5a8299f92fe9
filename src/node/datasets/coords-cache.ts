/**
 * A coordinate model's prediction for a pretraining CT (guided pretraining's `--coords RUN|MODEL.onnx`), computed once
 * per CT, model and preprocessing and cached under `.anadiff/cache/coords/` as raw float32: the 3 maps on the
 * PREPROCESSED grid (after RAS, body crop and resampling to the run's spacing; 3 x 4 bytes per voxel there, so a
 * 512x512x300 CT at 3x3x4 mm costs a few MB, not the GB its own grid would). The key is the sha256 of the CT file (the
 * phantom: its seed), of the model (its .onnx and its model.json), the spacing and the preprocessing's format: a
 * change to any of them misses. Writes are atomic; a file of the wrong length is recomputed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { NiftiImage } from '../../core/nifti/decode.js';
import { preprocessCase, type Grid, type PreprocessedCase, type VoxelArray } from '../../core/preprocess/index.js';
import { coordsOfCt, resolveCoordsModel } from '../coords/predict-file.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { CACHE_FORMAT, fileSha256 } from './cache.js';

export function defaultCoordsCache(cwd = process.cwd()): string {
  return join(cwd, '.anadiff', 'cache', 'coords');
}

/** A coordinate model by content: the sha256 of its .onnx and of its model.json (patch, spacing range), together. */
function modelSha256(onnx: string, infoPath: string): string {
  return createHash('sha256').update(readFileSync(onnx)).update(readFileSync(infoPath)).digest('hex');
}

/** The model a run is started with, by content: a changed file must not silently guide a resumed run. */
export function coordsModelOf(given: string): { readonly model: string; readonly sha256: string } {
  const files = resolveCoordsModel(given);
  return { model: files.onnx, sha256: modelSha256(files.onnx, files.infoPath) };
}

/**
 * The CT preprocessed for pretraining (preprocessCase at `spacingMm`) with the model's 3 coordinate maps on that grid
 * (channel-major, model units, not yet standardised), the maps from the cache when present.
 */
export async function preprocessWithPredictedCoords(
  ct: { readonly id: string; readonly file?: string; readonly image: Grid<VoxelArray> },
  model: { readonly model: string; readonly sha256: string },
  spacingMm: readonly [number, number, number],
  options: { readonly cacheDir?: string; readonly threads?: number } = {},
): Promise<{ readonly pre: PreprocessedCase; readonly coords: Float32Array }> {
  const ctKey = ct.file ? await fileSha256(ct.file) : `generated:${ct.id}`;
  const dir = options.cacheDir ?? defaultCoordsCache();
  const key = createHash('sha256').update([ctKey, model.sha256, spacingMm.join('x'), CACHE_FORMAT, ct.image.dims.join('x')].join('|')).digest('hex');
  const path = join(dir, `${key}.f32`);
  if (existsSync(path)) {
    // a hit: the image alone is preprocessed (the maps are on its grid); a file of the wrong length is made again
    const plain = preprocessCase({ image: ct.image }, { spacingMm });
    if (statSync(path).size === 12 * plain.image.data.length) {
      const bytes = readFileSync(path);
      return { pre: plain, coords: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
    }
  }
  const files = resolveCoordsModel(model.model);
  const sha = modelSha256(files.onnx, files.infoPath);
  if (sha !== model.sha256) throw new Error(`coordinate model ${files.onnx} changed since this run began (sha256 ${sha.slice(0, 12)}…, the run's ${model.sha256.slice(0, 12)}…)`);
  const { dims, ijkToRas } = ct.image;
  const n = dims[0]! * dims[1]! * dims[2]!;
  const { data } = await coordsOfCt({ dims, ijkToRas, data: ct.image.data } as NiftiImage, files, new Uint8Array(readFileSync(files.onnx)), options.threads ? { threads: options.threads } : {});
  const channels = [0, 1, 2].map((c) => ({ dims, ijkToRas, data: data.subarray(c * n, (c + 1) * n) }));
  const pre = preprocessCase({ image: ct.image, channels }, { spacingMm });
  const voxels = pre.image.data.length;
  const coords = new Float32Array(3 * voxels);
  pre.channels!.forEach((c, a) => coords.set(c.data, a * voxels));
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(path, [new Uint8Array(coords.buffer)], { overwrite: true });
  return { pre, coords };
}
