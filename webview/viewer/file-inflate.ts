// Inflates a NIfTI file's gzip bytes as they arrive in pieces (`volumeFileChunk`) with the browser's native
// DecompressionStream, keeping only the voxels. No DOM use: runs (and is tested) in Node too.
import type { RawVoxels, VoxelType } from '../../src/protocol/viewer.js';

export interface InflatedVoxels {
  readonly voxelType: VoxelType;
  /** Exactly `voxelCount` voxels, aligned for the typed array of `voxelType`. */
  readonly buffer: ArrayBuffer;
}

/** One running inflate: pieces go in with `write` in order, `close` after the last; `voxels` settles after it. */
export interface FileInflate {
  write(piece: Uint8Array<ArrayBuffer>): void;
  close(): void;
  /** Stops it; `voxels` then rejects. */
  abort(): void;
  readonly voxels: Promise<InflatedVoxels>;
}

export function startFileInflate(raw: RawVoxels): FileInflate {
  const inflate = new DecompressionStream('gzip');
  const writer = inflate.writable.getWriter();
  const voxels = collectVoxels(inflate.readable, raw);
  voxels.catch(() => undefined); // observed by whoever awaits it; an abort is not an unhandled error
  // Write/close rejections surface on the readable side (collectVoxels); these promises only need observing.
  return {
    write: (piece) => void writer.write(piece).catch(() => undefined),
    close: () => void writer.close().catch(() => undefined),
    abort: () => void writer.abort(new Error('the file bytes were dropped')).catch(() => undefined),
    voxels,
  };
}

/**
 * Reads the inflated file as it comes out and copies only the voxels, straight into a buffer of their exact size
 * (no concatenation of the whole file, no second copy).
 */
async function collectVoxels(inflated: ReadableStream<Uint8Array<ArrayBuffer>>, raw: RawVoxels): Promise<InflatedVoxels> {
  const bytes = raw.voxelCount * (raw.voxelType === 'int16' ? 2 : 1);
  const start = raw.voxOffset;
  const voxels = new Uint8Array(bytes);
  const reader = inflated.getReader();
  let position = 0; // bytes of the inflated file seen so far
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const from = Math.max(start, position);
    const to = Math.min(start + bytes, position + value.length);
    if (from < to) voxels.set(value.subarray(from - position, to - position), from - start);
    position += value.length;
  }
  if (position < start + bytes) throw new Error(`the inflated file has ${position} bytes, the header needs ${start + bytes}`);
  return { voxelType: raw.voxelType, buffer: voxels.buffer };
}
