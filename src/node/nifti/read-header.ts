import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { NiftiError, niftiLayout, parseNiftiHeader, type LayoutOptions, type NiftiHeader, type NiftiLayout } from '../../core/nifti/index.js';

const READ_BYTES = 64 * 1024;
/** Extensions are read when they end within this many bytes; the voxel data is never inflated. */
const MAX_PREFIX_BYTES = 1 << 20;

/**
 * Reads only the header (and extensions that fit in the first MiB) of a `.nii` or `.nii.gz` file: dims, datatype
 * and the affine without decoding voxels, e.g. to check that a label map lies on an image's grid.
 */
export async function readNiftiHeaderFile(path: string, options: LayoutOptions = {}): Promise<{ header: NiftiHeader; layout: NiftiLayout }> {
  const prefix = await readPrefix(path);
  const header = await parseNiftiHeader(prefix);
  return { header, layout: niftiLayout(header, options) };
}

async function readPrefix(path: string): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const first = new Uint8Array(READ_BYTES);
    const { bytesRead } = await file.read(first, 0, READ_BYTES, 0);
    const start = first.subarray(0, bytesRead);
    if (start[0] !== 0x1f || start[1] !== 0x8b) {
      const all = new Uint8Array(MAX_PREFIX_BYTES);
      const { bytesRead: n } = await file.read(all, 0, MAX_PREFIX_BYTES, 0);
      return all.subarray(0, n);
    }
    return await inflatePrefix(file, start);
  } finally {
    await file.close();
  }
}

/** Inflates compressed pieces until MAX_PREFIX_BYTES are out or the file ends; a truncated tail is tolerated here. */
async function inflatePrefix(file: Awaited<ReturnType<typeof open>>, start: Uint8Array): Promise<Uint8Array> {
  const gunzip = createGunzip();
  const parts: Buffer[] = [];
  let total = 0;
  let failure: Error | undefined;
  gunzip.on('data', (part: Buffer) => { parts.push(part); total += part.length; });
  // A write callback does not fire once the stream has failed, so every wait also ends on 'error'.
  const failed = new Promise<void>((resolve) => gunzip.on('error', (err) => { failure = err; resolve(); }));
  let position = start.length;
  let piece: Uint8Array = start;
  while (piece.length > 0 && total < MAX_PREFIX_BYTES && !failure) {
    await Promise.race([new Promise<void>((resolve) => gunzip.write(piece, () => resolve())), failed]);
    const next = new Uint8Array(READ_BYTES);
    const { bytesRead } = await file.read(next, 0, READ_BYTES, position);
    position += bytesRead;
    piece = next.subarray(0, bytesRead);
  }
  gunzip.destroy();
  if (total === 0) {
    throw new NiftiError('corrupt-gzip', `the gzip data could not be inflated${failure ? ` (${failure.message})` : ''}`);
  }
  return new Uint8Array(Buffer.concat(parts, total));
}
