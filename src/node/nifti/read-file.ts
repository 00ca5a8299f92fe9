import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import {
  NiftiError, NiftiStreamDecoder,
  type DecodedFrame, type DecodeOptions, type NiftiImage, type NiftiLabelImage, type NiftiSummary, type VoxelTarget,
} from '../../core/nifti/index.js';
import { createPieceInflater } from './inflate-pieces.js';

/**
 * Files that inflate to at most this many bytes (by the gzip trailer's ISIZE) are read and inflated synchronously in
 * 1 MiB pieces through two reused buffers (decodeFileInPieces); larger ones are streamed asynchronously (zlib on the
 * thread pool while the main thread decodes). Why: below this size the fixed costs dominate a load: thread-pool round
 * trips, fresh zlib output buffers and their page faults. The price: the calling thread is blocked for the inflate
 * (under 0.1 s at this size; readers run in workers or the CLI).
 */
const ONE_SHOT_BYTES = 32 << 20;
/** Streamed reads and inflates go in 1 MiB pieces: few enough callbacks to keep per-piece overhead negligible. */
const CHUNK_BYTES = 1 << 20;

export type ReadNiftiOptions = DecodeOptions;

/** True when the bytes start with the gzip magic 1f 8b (the file name is not trusted). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Reads one 3D frame of a `.nii` or `.nii.gz` file (detected by content, not name) as float32. Small files are read
 * and inflated in one call; larger ones are streamed from disk through zlib into the decoder piece by piece, so the
 * compressed file and the raw frame are never held: peak memory is the float32 frame plus a few MiB.
 * Bad content throws NiftiError; file-system errors (ENOENT, ...) pass through.
 */
export function readNiftiFile(path: string, options: ReadNiftiOptions = {}): Promise<NiftiImage> {
  return readNiftiFileTo(path, 'float32', options);
}

/**
 * A label map as uint8 class ids, decoded from the file's own type (a quarter of float32's memory). A file whose
 * values are not integers in 0..255 throws NiftiError('bad-input') naming the voxel.
 */
export function readNiftiLabelFile(path: string, options: ReadNiftiOptions = {}): Promise<NiftiLabelImage> {
  return readNiftiFileTo(path, 'uint8', options);
}

/** Header, geometry and the intensity range without keeping the voxels (`anadiff info`): a few MiB at any size. */
export function readNiftiSummary(path: string, options: ReadNiftiOptions = {}): Promise<NiftiSummary> {
  return readNiftiFileTo(path, 'none', options);
}

/**
 * readNiftiFile for a file a person named on a command line: a NiftiError's message starts with the path (the kind
 * is kept), so "not a NIfTI file" says which file. Callers that add their own context (a case id) use readNiftiFile.
 */
export function readNamedNiftiFile(path: string, options: ReadNiftiOptions = {}): Promise<NiftiImage> {
  return named(path, readNiftiFile(path, options));
}

/** readNiftiSummary with the path in NiftiError messages (see readNamedNiftiFile). */
export function readNamedNiftiSummary(path: string, options: ReadNiftiOptions = {}): Promise<NiftiSummary> {
  return named(path, readNiftiSummary(path, options));
}

async function named<T>(path: string, read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof NiftiError) throw new NiftiError(err.kind, `${path}: ${err.message}`);
    throw err;
  }
}

/**
 * The one file read path: every reader above is this with a different target. Small files are read with synchronous
 * file calls (the inflate is synchronous anyway): five thread-pool round trips (open, stat, two probes, close) were
 * most of the time of reading a 70 KB file.
 */
export async function readNiftiFileTo<T extends VoxelTarget>(path: string, target: T, options: ReadNiftiOptions = {}): Promise<DecodedFrame<T>> {
  const fd = openSync(path, 'r');
  try {
    const { size } = fstatSync(fd);
    const ends = new Uint8Array(6);
    readSync(fd, ends, 0, Math.min(2, size), 0);
    if (size >= 6) readSync(fd, ends, 2, 4, size - 4);
    const gzip = isGzip(ends);
    const inflated = gzip ? inflatedSizeHint(ends.subarray(2), size) : size;
    if (size <= ONE_SHOT_BYTES && inflated <= ONE_SHOT_BYTES) {
      const decoded = await decodeFileInPieces(fd, size, gzip, target, options);
      if (decoded) return decoded;
      return await decodeBytes(readFileSync(fd), target, options);
    }
  } finally {
    closeSync(fd);
  }
  return decodeStream(readPieces(path), target, options);
}

/**
 * Two buffers reused by every small read (readNiftiFileTo's first path): the compressed piece and the inflated piece.
 * Reused memory is already mapped, so the float32 output is the only memory a read touches for the first time (see
 * inflate-pieces.ts for what a first touch costs). A read that finds them taken (two reads interleaved on one
 * thread) uses its own.
 */
const scratch = { input: new Uint8Array(0), output: new Uint8Array(0), taken: false };

/**
 * Reads and inflates a small file piece by piece through the reused buffers straight into the decoder; undefined
 * when this Node version has no usable zlib handle (the caller then inflates with gunzipSync).
 */
async function decodeFileInPieces<T extends VoxelTarget>(fd: number, size: number, gzip: boolean, target: T, options: ReadNiftiOptions): Promise<DecodedFrame<T> | undefined> {
  const inflater = gzip ? createPieceInflater() : undefined;
  if (gzip && !inflater) return undefined;
  const own = scratch.taken;
  const buffers = own ? { input: new Uint8Array(CHUNK_BYTES), output: new Uint8Array(CHUNK_BYTES) } : scratch;
  if (!own) {
    scratch.taken = true;
    if (scratch.input.length === 0) {
      scratch.input = new Uint8Array(CHUNK_BYTES);
      scratch.output = new Uint8Array(CHUNK_BYTES);
    }
  }
  try {
    const decoder = new NiftiStreamDecoder(target, options);
    const push = (piece: Uint8Array): Promise<void> => decoder.push(piece);
    for (let position = 0; position < size;) {
      const bytesRead = readSync(fd, buffers.input, 0, Math.min(CHUNK_BYTES, size - position), position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const piece = buffers.input.subarray(0, bytesRead);
      if (inflater) await inflater.inflate(piece, position >= size, buffers.output, push);
      else await decoder.push(piece);
    }
    return await decoder.finish();
  } finally {
    inflater?.close();
    if (!own) scratch.taken = false;
  }
}

/**
 * The file in CHUNK_BYTES pieces read into ONE buffer, reused: each piece is consumed (inflated or decoded) before the
 * next read. A fresh buffer per piece (createReadStream) would leave the whole compressed file as garbage until
 * V8's next collection, which external memory triggers late.
 */
async function* readPieces(path: string): AsyncGenerator<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const buffer = new Uint8Array(CHUNK_BYTES);
    for (let position = 0; ;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK_BYTES, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

/** The same as readNiftiFile for file contents already in memory (`.nii` or `.nii.gz` bytes). */
export function readNiftiBytes(bytes: Uint8Array, options: ReadNiftiOptions = {}): Promise<NiftiImage> {
  return decodeBytes(bytes, 'float32', options);
}

/** ISIZE, the last 4 bytes of a gzip member: the inflated size mod 2^32. Only a hint (multi-member files, > 4 GiB). */
function inflatedSizeHint(trailer: Uint8Array, size: number): number {
  if (size < 18) return 0;
  return new DataView(trailer.buffer, trailer.byteOffset, 4).getUint32(0, true);
}

async function decodeBytes<T extends VoxelTarget>(bytes: Uint8Array, target: T, options: ReadNiftiOptions): Promise<DecodedFrame<T>> {
  const decoder = new NiftiStreamDecoder(target, options);
  if (!isGzip(bytes)) {
    await decoder.push(bytes);
    return decoder.finish();
  }
  const hint = inflatedSizeHint(bytes.subarray(bytes.length - 4), bytes.length);
  if (hint <= ONE_SHOT_BYTES) {
    const raw = inflateAtMost(bytes, hint);
    if (raw) {
      await decoder.push(raw);
      return decoder.finish();
    }
  }
  return decodeStream([bytes], target, options);
}

/**
 * One synchronous inflate into a single output buffer of ISIZE + 1 bytes: with exactly ISIZE, zlib would find the
 * buffer full and allocate a second one to learn that the stream has ended. undefined when the output would exceed
 * the hint (a wrong ISIZE, several gzip members): the caller then streams.
 */
function inflateAtMost(bytes: Uint8Array, hint: number): Uint8Array | undefined {
  const limit = Math.max(hint, 64) + 1;
  try {
    return gunzipSync(bytes, { chunkSize: limit, maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
    throw gzipError(err, 0);
  }
}

/**
 * Streams (compressed or plain) file bytes through zlib into the decoder, one piece at a time. Each compressed piece
 * is fully inflated before the next is taken (the write callback), so the source may reuse its buffer.
 */
async function decodeStream<T extends VoxelTarget>(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, target: T, options: ReadNiftiOptions): Promise<DecodedFrame<T>> {
  const decoder = new NiftiStreamDecoder(target, options);
  let position = 0; // decompressed bytes pushed so far
  let gzip: boolean | undefined;
  const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
  // Inflated pieces are pushed to the decoder as they come; a failure (bad voxels, bad gzip) ends the read.
  let failure: unknown;
  let decoding = Promise.resolve();
  gunzip.on('data', (piece: Buffer) => {
    decoding = decoding.then(() => (failure ? undefined : decoder.push(piece))).catch((err: unknown) => { failure ??= err; });
    position += piece.length;
  });
  const ended = new Promise<void>((resolveEnd, rejectEnd) => {
    gunzip.on('end', resolveEnd);
    gunzip.on('error', rejectEnd);
  });
  ended.catch(() => undefined); // observed below
  try {
    for await (const piece of source) {
      gzip ??= isGzip(piece);
      if (!gzip) {
        await decoder.push(piece);
        position += piece.length;
        continue;
      }
      await Promise.race([new Promise<void>((resolveWrite) => gunzip.write(piece, () => resolveWrite())), ended]);
      await decoding;
      if (failure) throw failure;
    }
    if (gzip) {
      gunzip.end();
      await ended;
      await decoding;
      if (failure) throw failure;
    }
  } catch (err) {
    throw gzip ? gzipError(err, position) : err;
  } finally {
    gunzip.destroy();
  }
  return decoder.finish();
}

function gzipError(err: unknown, position: number): unknown {
  if (err instanceof NiftiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if ((err as NodeJS.ErrnoException).code?.startsWith('Z_') || /unexpected end of file|incorrect header check|invalid/i.test(message)) {
    return new NiftiError('corrupt-gzip', `the gzip data is corrupt or truncated${position ? ` after ${position} decompressed bytes` : ''} (${message})`);
  }
  return err;
}
