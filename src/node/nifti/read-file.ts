import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createGunzip, gunzip } from 'node:zlib';
import {
  assembleDecoded, checkFileLength, checkFrame, decodeNifti, decodeVoxelsInto, emptyStats, mergeStats, NiftiError,
  niftiLayout, parseNiftiHeader, sniffNifti, statsRange,
  type DecodeOptions, type NiftiHeader, type NiftiImage, type NiftiLayout, type VoxelStats,
} from '../../core/nifti/index.js';

/** Inflate and read in 1 MiB pieces: few enough callbacks to keep per-chunk overhead negligible. */
const CHUNK_BYTES = 1 << 20;
/** Files whose gzip trailer says they inflate to at most this are inflated in one call (less per-chunk overhead). */
const ONE_SHOT_BYTES = 64 << 20;
/** Header + extensions larger than this are taken as a corrupt vox_offset rather than buffered. */
const MAX_VOX_OFFSET = 256 << 20;

export type ReadNiftiOptions = DecodeOptions;

/** True when the bytes start with the gzip magic 1f 8b (the file name is not trusted). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Reads one 3D frame of a `.nii` or `.nii.gz` file (detected by content, not name) with Node's native zlib.
 * Files that inflate to at most 64 MiB are inflated in one call; larger ones are streamed into one buffer sized
 * from the header that holds only the header, the extensions and the chosen frame, never the whole decompressed
 * file. Bad content throws NiftiError; file-system errors (ENOENT, ...) pass through.
 */
export async function readNiftiFile(path: string, options: ReadNiftiOptions = {}): Promise<NiftiImage> {
  return readNiftiBytes(await readFile(path), options);
}

/**
 * readNiftiFile for a file a person named on a command line: a NiftiError's message starts with the path (the kind
 * is kept), so "not a NIfTI file" says which file. Callers that add their own context (a case id) use readNiftiFile.
 */
export async function readNamedNiftiFile(path: string, options: ReadNiftiOptions = {}): Promise<NiftiImage> {
  try {
    return await readNiftiFile(path, options);
  } catch (err) {
    if (err instanceof NiftiError) throw new NiftiError(err.kind, `${path}: ${err.message}`);
    throw err;
  }
}

/** The same as readNiftiFile for file contents already in memory (`.nii` or `.nii.gz` bytes). */
export async function readNiftiBytes(bytes: Uint8Array, options: ReadNiftiOptions = {}): Promise<NiftiImage> {
  if (!isGzip(bytes)) return decodeNifti(bytes, options);
  // ISIZE, the last 4 bytes of a gzip member, is the inflated size mod 2^32: a hint, checked by maxOutputLength.
  const inflatedHint = bytes.length >= 18 ? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4, true) : 0;
  if (inflatedHint <= ONE_SHOT_BYTES) {
    const whole = await inflateAtMost(bytes, Math.max(inflatedHint, 1 << 16));
    if (whole) return decodeNifti(whole, options);
  }
  return readGzipNifti(bytes, options);
}

const gunzipAsync = promisify(gunzip);

/**
 * Inflates on the libuv thread pool (the event loop stays free) into a single output chunk of the expected size,
 * which measured faster than both gunzipSync and the default 16 KiB chunks. undefined when the output would exceed
 * `limit` (a wrong or missing ISIZE): the caller then streams.
 */
async function inflateAtMost(bytes: Uint8Array, limit: number): Promise<Uint8Array | undefined> {
  try {
    return await gunzipAsync(bytes, { chunkSize: limit, maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
    throw gzipError(err, 0);
  }
}

function gzipError(err: unknown, position: number): unknown {
  if (err instanceof NiftiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if ((err as NodeJS.ErrnoException).code?.startsWith('Z_') || /unexpected end of file|incorrect header check|invalid/i.test(message)) {
    return new NiftiError('corrupt-gzip', `the gzip data is corrupt or truncated${position ? ` after ${position} decompressed bytes` : ''} (${message})`);
  }
  return err;
}

/** Streams the inflate of a large file into one buffer holding only the prefix and the chosen frame. */
async function readGzipNifti(bytes: Uint8Array, options: ReadNiftiOptions): Promise<NiftiImage> {
  const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
  const source = Readable.from([bytes]);
  source.pipe(gunzip);

  const pending: Buffer[] = []; // chunks seen before the header could be parsed
  let pendingBytes = 0;
  let plan: StreamPlan | undefined;
  let position = 0; // decompressed bytes consumed so far

  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      if (!plan) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        const head = pending.length === 1 ? chunk : Buffer.concat(pending, pendingBytes);
        if (head.length < 4 || head.length < sniffedHeaderBytes(head)) continue;
        plan = await planRead(head, options);
        pending.length = 0;
        pendingBytes = 0;
        copyInto(plan, head, 0);
        position = head.length;
      } else {
        copyInto(plan, chunk, position);
        position += chunk.length;
      }
      // Decode what has arrived while zlib inflates the next chunks on the thread pool.
      decodeArrived(plan, position, false);
    }
  } catch (err) {
    throw gzipError(err, position + pendingBytes);
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  if (!plan) {
    // The whole stream was shorter than a header: let the core produce the precise message.
    await decodeNifti(Buffer.concat(pending, pendingBytes), options);
    throw new NiftiError('truncated', 'the file ends inside its NIfTI header');
  }
  checkFileLength(plan.layout, position);
  decodeArrived(plan, position, true);
  const header = await parseNiftiHeader(plan.target.subarray(0, plan.layout.voxOffset));
  return assembleDecoded(header, plan.layout, plan.frame, { data: plan.data, range: statsRange(plan.stats), nonFiniteCount: plan.stats.nonFiniteCount }, options);
}

/** Decode in blocks of at least this many voxels, so per-call overhead stays negligible. */
const DECODE_BLOCK_VOXELS = 1 << 20;

interface StreamPlan {
  readonly header: NiftiHeader;
  readonly layout: NiftiLayout;
  readonly frame: number;
  /** [file prefix up to vox_offset | the chosen frame's bytes] */
  readonly target: Uint8Array;
  /** File position of the chosen frame's first byte. */
  readonly frameStart: number;
  readonly data: Float32Array;
  readonly stats: VoxelStats;
  /** Voxels of `data` already decoded. */
  decoded: number;
}

/** Header size announced by the first 4 bytes (348 or 540), so the stream is buffered only until the header is complete. */
function sniffedHeaderBytes(head: Uint8Array): number {
  const view = new DataView(head.buffer, head.byteOffset, 4);
  for (const littleEndian of [true, false]) {
    const size = view.getInt32(0, littleEndian);
    if (size === 348 || size === 540) return size;
  }
  return sniffNifti(head).headerBytes; // throws the precise "not a NIfTI file" error
}

async function planRead(head: Uint8Array, options: ReadNiftiOptions): Promise<StreamPlan> {
  const header = await parseNiftiHeader(head);
  const layout = niftiLayout(header, options);
  const frame = checkFrame(layout, options.frame);
  if (layout.voxOffset > MAX_VOX_OFFSET) {
    throw new NiftiError('bad-header', `vox_offset is ${layout.voxOffset}: over ${MAX_VOX_OFFSET} bytes of header extensions is not plausible`);
  }
  const voxels = layout.dims[0] * layout.dims[1] * layout.dims[2];
  return {
    header,
    layout,
    frame,
    target: new Uint8Array(layout.voxOffset + layout.bytesPerFrame),
    frameStart: layout.voxOffset + frame * layout.bytesPerFrame,
    data: new Float32Array(voxels),
    stats: emptyStats(),
    decoded: 0,
  };
}

/** Copies the parts of a decompressed chunk (starting at file position `at`) that belong to the prefix or the frame. */
function copyInto(plan: StreamPlan, chunk: Uint8Array, at: number): void {
  const { voxOffset, bytesPerFrame } = plan.layout;
  const end = at + chunk.length;
  if (at < voxOffset) plan.target.set(chunk.subarray(0, Math.min(chunk.length, voxOffset - at)), at);
  const from = Math.max(at, plan.frameStart), to = Math.min(end, plan.frameStart + bytesPerFrame);
  if (from < to) plan.target.set(chunk.subarray(from - at, to - at), voxOffset + (from - plan.frameStart));
}

/** Decodes the complete voxels of the frame that have arrived (at least a block of them unless `final`). */
function decodeArrived(plan: StreamPlan, position: number, final: boolean): void {
  const { voxOffset, bytesPerFrame, datatype, scaling } = plan.layout;
  const frameBytes = Math.max(0, Math.min(position - plan.frameStart, bytesPerFrame));
  const available = Math.floor(frameBytes / datatype.bytes);
  if (available - plan.decoded < (final ? 1 : DECODE_BLOCK_VOXELS)) return;
  const bytes = plan.target.subarray(voxOffset + plan.decoded * datatype.bytes, voxOffset + available * datatype.bytes);
  const stats = decodeVoxelsInto(bytes, plan.data.subarray(plan.decoded, available), datatype, plan.header.littleEndian, scaling);
  mergeStats(plan.stats, stats);
  plan.decoded = available;
}
