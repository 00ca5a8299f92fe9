import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type NamedTensor } from '../../core/checkpoint/safetensors.js';
import { preprocessCase, type PreprocessOptions, type PreprocessedCase } from '../../core/preprocess/index.js';
import type { Mat4 } from '../../core/volume/index.js';
import { readNiftiFile, readNiftiLabelFile } from '../nifti/index.js';
import type { DatasetCase } from './layouts.js';
import { isAtomicTempFile, writeFileAtomicAsync } from '../io/atomic-write.js';

/**
 * A cache of preprocessed cases. An entry is `<key>.safetensors` (image f32, labels u8, body mask u8) plus
 * `<key>.json` (grids, the mapping back to the source, and what the key was made of). The key is the sha256 of the
 * source files' contents, the preprocessing parameters with their defaults filled in, and CACHE_FORMAT: a changed
 * file, parameter or format misses, whatever the file names or timestamps say.
 *
 * Both files are written to temporary names and renamed into place, tensors first; the JSON's presence marks a
 * complete entry (io/atomic-write.ts). A run killed mid-write leaves at most a temporary file (ignored, removed by `cleanCache`) or tensors
 * without JSON (a miss, rewritten on the next run): never an entry that reads back wrong.
 */

/** Bump when the stored layout or the preprocessing code's output changes meaning. */
export const CACHE_FORMAT = 'anadiff-preprocessed-v1';

export interface CacheMeta {
  readonly format: string;
  readonly key: string;
  readonly id: string;
  readonly sources: { readonly image: string; readonly label?: string };
  readonly params: Required<PreprocessOptions>;
  readonly dims: readonly [number, number, number];
  readonly ijkToRas: Mat4;
  readonly toSourceIjk: Mat4;
  readonly source: PreprocessedCase['source'];
  readonly box: PreprocessedCase['box'];
}

export interface CacheResult {
  readonly value: PreprocessedCase;
  readonly hit: boolean;
  readonly key: string;
}

export class CacheError extends Error {
  constructor(message: string, readonly path: string) {
    super(`${path}: ${message}`);
    this.name = 'CacheError';
  }
}

/** The parameters with the protocol defaults written out, so `{}` and the explicit defaults share entries. */
export function resolvedParams(options: PreprocessOptions): Required<PreprocessOptions> {
  return {
    spacingMm: options.spacingMm ?? [1, 1, 2],
    huWindow: options.huWindow ?? [-1350, 1000],
    bodyThresholdHu: options.bodyThresholdHu ?? -500,
    cropMarginVoxels: options.cropMarginVoxels ?? 0,
    maskConnectivity: options.maskConnectivity ?? 26,
  };
}

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function cacheKey(c: DatasetCase, options: PreprocessOptions): Promise<string> {
  const image = await fileSha256(c.image);
  const label = c.label ? await fileSha256(c.label) : '';
  const params = resolvedParams(options);
  return createHash('sha256').update(JSON.stringify({ format: CACHE_FORMAT, image, label, params })).digest('hex').slice(0, 32);
}

const paths = (dir: string, key: string) => ({ tensors: join(dir, `${key}.safetensors`), meta: join(dir, `${key}.json`) });

/** The preprocessed case from the cache, or computed (and stored) on a miss. */
export async function preprocessCached(cacheDir: string, c: DatasetCase, options: PreprocessOptions = {}): Promise<CacheResult> {
  const key = await cacheKey(c, options);
  const cached = await readEntry(cacheDir, key);
  if (cached) return { value: cached, hit: true, key };
  const image = await readNiftiFile(c.image);
  const labels = c.label ? await readNiftiLabelFile(c.label) : undefined; // uint8 from the file: no float32 copy
  const value = preprocessCase(labels ? { image, labels } : { image }, options);
  await writeEntry(cacheDir, key, c, options, value);
  return { value, hit: false, key };
}

async function readEntry(dir: string, key: string): Promise<PreprocessedCase | undefined> {
  const p = paths(dir, key);
  let metaText: string;
  try {
    metaText = await readFile(p.meta, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const meta = JSON.parse(metaText) as CacheMeta;
  if (meta.format !== CACHE_FORMAT || meta.key !== key) return undefined;
  let tensors: ReadonlyMap<string, NamedTensor>;
  try {
    tensors = decodeSafetensors(await readFile(p.tensors)).tensors;
  } catch (e) {
    // A complete JSON with missing or damaged tensors (disk trouble, a hand edit): recompute rather than fail.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || e instanceof SafetensorsError) return undefined;
    throw e;
  }
  const grid = <T extends Float32Array | Uint8Array>(name: string, type: new (...args: never[]) => T): { dims: typeof meta.dims; ijkToRas: Mat4; data: T } => {
    const t = tensors.get(name);
    if (!t || !(t.data instanceof type)) throw new CacheError(`tensor "${name}" missing or of the wrong type`, p.tensors);
    return { dims: meta.dims, ijkToRas: meta.ijkToRas, data: t.data as T };
  };
  const labels = tensors.has('labels') ? grid('labels', Uint8Array) : undefined;
  return {
    image: grid('image', Float32Array),
    ...(labels ? { labels } : {}),
    bodyMask: grid('body_mask', Uint8Array),
    toSourceIjk: meta.toSourceIjk,
    source: meta.source,
    box: meta.box,
  };
}

async function writeEntry(dir: string, key: string, c: DatasetCase, options: PreprocessOptions, value: PreprocessedCase): Promise<void> {
  await mkdir(dir, { recursive: true });
  const shape = [...value.image.dims].reverse(); // k, j, i: row-major order of the x-fastest data
  const tensors = new Map<string, NamedTensor>([
    ['image', { dtype: 'F32', shape, data: value.image.data }],
    ['body_mask', { dtype: 'U8', shape, data: value.bodyMask.data }],
  ]);
  if (value.labels) tensors.set('labels', { dtype: 'U8', shape, data: value.labels.data });
  const meta: CacheMeta = {
    format: CACHE_FORMAT, key, id: c.id, sources: c.label ? { image: c.image, label: c.label } : { image: c.image },
    params: resolvedParams(options), dims: value.image.dims as [number, number, number], ijkToRas: value.image.ijkToRas,
    toSourceIjk: value.toSourceIjk, source: value.source, box: value.box,
  };
  const p = paths(dir, key);
  await writeFileAtomicAsync(p.tensors, encodeSafetensors(tensors, { format: CACHE_FORMAT, key }), { overwrite: true });
  await writeFileAtomicAsync(p.meta, new TextEncoder().encode(`${JSON.stringify(meta, null, 1)}\n`), { overwrite: true });
}

/** Removes temporary files left by interrupted writes (older than `minAgeMs`, so live writers are not disturbed). */
export async function cleanCache(dir: string, minAgeMs = 60_000): Promise<number> {
  let removed = 0;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    // today's atomic writes, and the `<name>.<pid>.<hex>.tmp` files of this cache's writer before it used that one
    if (!isAtomicTempFile(name) && !/\.\d+\.[0-9a-f]{8}\.tmp$/.test(name)) continue;
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs >= minAgeMs) {
      await unlink(path).catch(() => undefined);
      removed++;
    }
  }
  return removed;
}
