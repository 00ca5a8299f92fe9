// Reads only the header of a NIfTI file (a few hundred bytes, inflating just the start of a .gz) to learn its grid:
// enough to tell whether a sibling label map matches an image without decoding either.
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { parseNiftiHeader, NIFTI2_HEADER_BYTES } from '../../core/nifti/header.js';
import { niftiAffine } from '../../core/nifti/affine.js';
import type { GridGeometry } from '../../core/viewer/overlay-grid.js';

const HEAD_BYTES = NIFTI2_HEADER_BYTES + 4;
const COMPRESSED_CHUNK = 64 * 1024;

export async function readGridGeometry(path: string): Promise<GridGeometry> {
  const head = await readHead(path);
  const header = await parseNiftiHeader(head);
  const ndim = Math.max(1, Math.min(7, header.dim[0] ?? 3));
  const dims = header.dim.slice(1, 1 + Math.max(3, ndim)).map((d) => Math.max(1, d));
  return { dims, ijkToRas: niftiAffine(header).ijkToRas };
}

async function readHead(path: string): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const chunk = new Uint8Array(COMPRESSED_CHUNK);
    const { bytesRead } = await file.read(chunk, 0, COMPRESSED_CHUNK, 0);
    const start = chunk.subarray(0, bytesRead);
    if (start[0] !== 0x1f || start[1] !== 0x8b) return start;
    return await inflateHead(start);
  } finally {
    await file.close();
  }
}

/** Inflates until HEAD_BYTES are out (or the chunk ends); a truncated stream is fine, the header is at the start. */
function inflateHead(compressed: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip();
    const parts: Buffer[] = [];
    let total = 0;
    const finish = (): void => {
      gunzip.removeAllListeners();
      gunzip.destroy();
      resolve(new Uint8Array(Buffer.concat(parts)));
    };
    gunzip.on('data', (part: Buffer) => {
      parts.push(part);
      total += part.length;
      if (total >= HEAD_BYTES) finish();
    });
    gunzip.on('end', finish);
    gunzip.on('error', (err) => (total > 0 ? finish() : reject(err)));
    gunzip.end(compressed);
  });
}
