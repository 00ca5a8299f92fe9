import { assembleDecoded, checkFileLength, checkFrame, type DecodeOptions, type NiftiImage } from './decode.js';
import { NiftiError } from './errors.js';
import { parseNiftiHeader, sniffNifti, type NiftiHeader } from './header.js';
import { niftiLayout, type NiftiLayout } from './layout.js';
import { decodeLabelsInto, decodeVoxelsInto, emptyStats, mergeStats, statsRange, type VoxelStats } from './voxels.js';

/**
 * Where a streamed frame's voxels go: 'float32' (scaled values, NiftiImage), 'uint8' (a label map: integer class ids
 * 0..255 straight from the file, a quarter of float32's memory) or 'none' (only the header and the range: `info`).
 */
export type VoxelTarget = 'float32' | 'uint8' | 'none';

/** What every read returns besides the voxels. */
export type NiftiSummary = Omit<NiftiImage, 'data'>;
/** A label map read as uint8 class ids. */
export type NiftiLabelImage = NiftiSummary & { readonly data: Uint8Array };
/** What a decoder for each target returns. */
export type DecodedFrame<T extends VoxelTarget> = T extends 'float32' ? NiftiImage : T extends 'uint8' ? NiftiLabelImage : NiftiSummary;

/** Summary-only decoding converts at most this many voxels at a time into a reused scratch buffer (4 MiB). */
const SCRATCH_VOXELS = 1 << 20;
/** Header + extensions larger than this are taken as a corrupt vox_offset rather than buffered. */
const MAX_VOX_OFFSET = 256 << 20;

interface Plan {
  readonly header: NiftiHeader;
  readonly layout: NiftiLayout;
  readonly frame: number;
  /** File position of the chosen frame's first byte. */
  readonly frameStart: number;
  readonly frameEnd: number;
  readonly width: number;
}

/**
 * The one NIfTI read path: decompressed file bytes go in, in order and in pieces of any size; the chosen frame comes
 * out in the chosen target type. Each piece is converted as it arrives, so a reader never holds the compressed file,
 * the raw frame and the decoded voxels at once: only the target array, the file prefix up to vox_offset, and at most
 * one voxel split between pieces. Pushing a whole decompressed file at once costs no copy (the pieces are viewed).
 */
export class NiftiStreamDecoder<T extends VoxelTarget> {
  private plan: Plan | undefined;
  /** Bytes before the plan exists (the header may arrive split), then the prefix up to vox_offset. */
  private prefix: Uint8Array = new Uint8Array(0);
  private prefixBytes = 0;
  private position = 0;
  private decoded = 0;
  private readonly carry = new Uint8Array(8);
  private carryBytes = 0;
  private output: Float32Array | Uint8Array | undefined;
  private scratch: Float32Array | undefined;
  private readonly stats: VoxelStats = emptyStats();

  constructor(private readonly target: T, private readonly options: DecodeOptions = {}) {}

  /** Decompressed bytes in file order. Bad content throws NiftiError (as soon as the header is complete). */
  async push(bytes: Uint8Array): Promise<void> {
    let piece = bytes;
    if (!this.plan) {
      const needed = this.prefixBytes + piece.length;
      if (needed < 4 || needed < sniffedHeaderBytes(this.joinedPrefix(piece))) {
        this.keepPrefix(piece, needed);
        return;
      }
      const head = this.joinedPrefix(piece);
      this.plan = await this.start(head);
      // Re-feed from the start of what has been seen, now that the frame's position is known.
      this.prefix = new Uint8Array(0);
      this.prefixBytes = 0;
      this.position = 0;
      piece = head;
    }
    this.consume(piece);
  }

  /** The decoded frame once every byte has been pushed; throws NiftiError('truncated') when the file ended early. */
  async finish(): Promise<DecodedFrame<T>> {
    const plan = this.plan;
    if (!plan) {
      // The whole file was shorter than a header: let the header parser produce the precise message.
      await parseNiftiHeader(this.prefix.subarray(0, this.prefixBytes));
      throw new NiftiError('truncated', 'the file ends inside its NIfTI header');
    }
    checkFileLength(plan.layout, this.position);
    const header = await parseNiftiHeader(this.prefix.subarray(0, plan.layout.voxOffset));
    // assembleDecoded only passes `data` through; the summary target drops it again.
    const data = (this.output ?? new Float32Array(0)) as Float32Array;
    const { data: _, ...summary } = assembleDecoded(header, plan.layout, plan.frame, { data, range: statsRange(this.stats), nonFiniteCount: this.stats.nonFiniteCount }, this.options);
    return (this.output ? { ...summary, data: this.output } : summary) as DecodedFrame<T>;
  }

  private joinedPrefix(piece: Uint8Array): Uint8Array {
    if (this.prefixBytes === 0) return piece;
    const joined = new Uint8Array(this.prefixBytes + piece.length);
    joined.set(this.prefix.subarray(0, this.prefixBytes));
    joined.set(piece, this.prefixBytes);
    return joined;
  }

  private keepPrefix(piece: Uint8Array, needed: number): void {
    if (needed > this.prefix.length) {
      const grown = new Uint8Array(Math.max(needed, this.prefix.length * 2));
      grown.set(this.prefix.subarray(0, this.prefixBytes));
      this.prefix = grown;
    }
    this.prefix.set(piece, this.prefixBytes);
    this.prefixBytes = needed;
  }

  private async start(head: Uint8Array): Promise<Plan> {
    const header = await parseNiftiHeader(head);
    const layout = niftiLayout(header, this.options);
    const frame = checkFrame(layout, this.options.frame);
    if (layout.voxOffset > MAX_VOX_OFFSET) {
      throw new NiftiError('bad-header', `vox_offset is ${layout.voxOffset}: over ${MAX_VOX_OFFSET} bytes of header extensions is not plausible`);
    }
    const voxels = layout.dims[0] * layout.dims[1] * layout.dims[2];
    if (this.target === 'float32') this.output = new Float32Array(voxels);
    else if (this.target === 'uint8') this.output = new Uint8Array(voxels);
    else this.scratch = new Float32Array(Math.min(voxels, SCRATCH_VOXELS));
    const frameStart = layout.voxOffset + frame * layout.bytesPerFrame;
    return { header, layout, frame, frameStart, frameEnd: frameStart + layout.bytesPerFrame, width: layout.datatype.bytes };
  }

  /** Keeps the prefix up to vox_offset and converts the part of `piece` (at file position `position`) inside the frame. */
  private consume(piece: Uint8Array): void {
    const plan = this.plan!;
    const at = this.position, end = at + piece.length;
    this.position = end;
    const voxOffset = plan.layout.voxOffset;
    if (at < voxOffset) this.keepPrefix(piece.subarray(0, Math.min(piece.length, voxOffset - at)), Math.min(end, voxOffset));
    const from = Math.max(at, plan.frameStart), to = Math.min(end, plan.frameEnd);
    if (from < to) this.convert(piece.subarray(from - at, to - at));
  }

  private convert(bytes: Uint8Array): void {
    const width = this.plan!.width;
    let offset = 0;
    if (this.carryBytes > 0) {
      const take = Math.min(width - this.carryBytes, bytes.length);
      this.carry.set(bytes.subarray(0, take), this.carryBytes);
      this.carryBytes += take;
      offset = take;
      if (this.carryBytes < width) return;
      this.decodeWhole(this.carry.subarray(0, width), 1);
      this.carryBytes = 0;
    }
    const whole = Math.floor((bytes.length - offset) / width);
    if (whole > 0) this.decodeWhole(bytes.subarray(offset, offset + whole * width), whole);
    const rest = bytes.subarray(offset + whole * width);
    this.carry.set(rest);
    this.carryBytes = rest.length;
  }

  private decodeWhole(bytes: Uint8Array, count: number): void {
    const { layout, header } = this.plan!;
    const { datatype, scaling } = layout;
    const first = this.decoded;
    this.decoded += count;
    if (this.output instanceof Float32Array) {
      mergeStats(this.stats, decodeVoxelsInto(bytes, this.output.subarray(first, first + count), datatype, header.littleEndian, scaling));
    } else if (this.output instanceof Uint8Array) {
      mergeStats(this.stats, decodeLabelsInto(bytes, this.output.subarray(first, first + count), datatype, header.littleEndian, scaling, first));
    } else {
      const scratch = this.scratch!;
      for (let done = 0; done < count; done += scratch.length) {
        const n = Math.min(scratch.length, count - done);
        mergeStats(this.stats, decodeVoxelsInto(bytes.subarray(done * datatype.bytes), scratch.subarray(0, n), datatype, header.littleEndian, scaling));
      }
    }
  }
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

/** Decodes an uncompressed NIfTI-1 or NIfTI-2 file held in memory into `target` (the decoder with one piece, no copy). */
export async function decodeNiftiTo<T extends VoxelTarget>(bytes: Uint8Array, target: T, options: DecodeOptions = {}): Promise<DecodedFrame<T>> {
  const decoder = new NiftiStreamDecoder(target, options);
  await decoder.push(bytes);
  return decoder.finish();
}

/** Decodes an uncompressed NIfTI-1 or NIfTI-2 file held in memory to float32. Bad input throws NiftiError. */
export function decodeNifti(bytes: Uint8Array, options: DecodeOptions = {}): Promise<NiftiImage> {
  return decodeNiftiTo(bytes, 'float32', options);
}
