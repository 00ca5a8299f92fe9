import type { NiftiDatatype, NiftiDatatypeName } from './datatypes.js';
import { NiftiError } from './errors.js';
import type { Scaling } from './layout.js';

type NumericArray = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;
type SourceArray = NumericArray | BigInt64Array | BigUint64Array;

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const CONSTRUCTORS: Readonly<Record<NiftiDatatypeName, new (buffer: ArrayBufferLike, byteOffset: number, length: number) => SourceArray>> = {
  uint8: Uint8Array, int8: Int8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
  int64: BigInt64Array, uint64: BigUint64Array, float32: Float32Array, float64: Float64Array,
};

/** Voxels as float32 plus what a viewer needs to know about them. */
export interface DecodedVoxels {
  readonly data: Float32Array;
  /** Min and max of the finite values ([0, 0] when there are none). */
  readonly range: [number, number];
  /** Count of NaN and +-Inf voxels; they are kept in `data` as they are. */
  readonly nonFiniteCount: number;
}

/** Running summary of decoded voxels; `min > max` while no finite value has been seen. */
export interface VoxelStats {
  min: number;
  max: number;
  nonFiniteCount: number;
}

export function emptyStats(): VoxelStats {
  return { min: Infinity, max: -Infinity, nonFiniteCount: 0 };
}

export function mergeStats(into: VoxelStats, part: VoxelStats): void {
  if (part.min < into.min) into.min = part.min;
  if (part.max > into.max) into.max = part.max;
  into.nonFiniteCount += part.nonFiniteCount;
}

export function statsRange(stats: VoxelStats): [number, number] {
  return stats.min <= stats.max ? [stats.min, stats.max] : [0, 0];
}

/**
 * Decodes `out.length` voxels into `out` (which may be a subarray of a larger volume, so a streaming reader can
 * decode each block as soon as it has been inflated) and summarises them.
 */
export function decodeVoxelsInto(bytes: Uint8Array, out: Float32Array, datatype: NiftiDatatype, littleEndian: boolean, scaling: Scaling | undefined): VoxelStats {
  const count = out.length;
  const byteLength = count * datatype.bytes;
  if (bytes.byteLength < byteLength) {
    throw new NiftiError('truncated', `the voxel data is ${bytes.byteLength} bytes but ${count} ${datatype.name} voxels need ${byteLength}`);
  }
  if (count === 0) return emptyStats();
  const source = typedView(bytes, count, datatype, littleEndian === HOST_IS_LITTLE_ENDIAN);
  if (source instanceof BigInt64Array || source instanceof BigUint64Array) {
    copyInt64(source, out, datatype.name, scaling);
    return finiteStats(out);
  }
  if (!scaling) out.set(source); // native element conversion; float64 -> float32 rounds to nearest like numpy
  else {
    const { slope, inter } = scaling;
    for (let i = 0; i < count; i++) out[i] = (source[i] as number) * slope + inter;
  }
  if (source instanceof Float32Array || source instanceof Float64Array) return finiteStats(out);
  // Integer voxels cannot be NaN/Inf, and scaling is monotonic: the range comes from the (smaller) source array
  // with a cheaper loop, about twice as fast as scanning the float32 output with finiteness checks.
  const [lo, hi] = integerRange(source);
  if (!scaling) return { min: lo, max: hi, nonFiniteCount: 0 };
  const a = Math.fround(lo * scaling.slope + scaling.inter), b = Math.fround(hi * scaling.slope + scaling.inter);
  // An absurd slope can overflow float32 to Inf; then count properly.
  if (!Number.isFinite(a) || !Number.isFinite(b)) return finiteStats(out);
  return { min: Math.min(a, b), max: Math.max(a, b), nonFiniteCount: 0 };
}

/**
 * Decodes `out.length` voxels of a label map into uint8 class ids, straight from the file's type (no float32 copy).
 * A scaled value that is not an integer in 0..255 is not a label map (an image passed as labels): NiftiError naming
 * the voxel (`firstVoxel` is the index of out[0] in the frame) and its value.
 */
export function decodeLabelsInto(bytes: Uint8Array, out: Uint8Array, datatype: NiftiDatatype, littleEndian: boolean, scaling: Scaling | undefined, firstVoxel = 0): VoxelStats {
  const count = out.length;
  if (bytes.byteLength < count * datatype.bytes) {
    throw new NiftiError('truncated', `the voxel data is ${bytes.byteLength} bytes but ${count} ${datatype.name} voxels need ${count * datatype.bytes}`);
  }
  if (count === 0) return emptyStats();
  const source = typedView(bytes, count, datatype, littleEndian === HOST_IS_LITTLE_ENDIAN);
  if (source instanceof Uint8Array && !scaling) out.set(source);
  else {
    const slope = scaling?.slope ?? 1, inter = scaling?.inter ?? 0;
    for (let i = 0; i < count; i++) {
      const raw = source[i]!;
      const v = Math.fround(Number(raw) * slope + inter); // the value the float32 reader would give
      if (!(v >= 0 && v <= 255 && Number.isInteger(v))) {
        throw new NiftiError('bad-input', `voxel ${firstVoxel + i} holds ${v}; a label map needs integer class ids 0..255`);
      }
      out[i] = v;
    }
  }
  const [min, max] = integerRange(out);
  return { min, max, nonFiniteCount: 0 };
}

function integerRange(source: Exclude<NumericArray, Float32Array | Float64Array>): [number, number] {
  let min = source[0] as number, max = min;
  for (let i = 1; i < source.length; i++) {
    const v = source[i] as number;
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  return [min, max];
}

function typedView(bytes: Uint8Array, count: number, datatype: NiftiDatatype, nativeOrder: boolean): SourceArray {
  const ctor = CONSTRUCTORS[datatype.name];
  const aligned = bytes.byteOffset % datatype.bytes === 0;
  if (nativeOrder && aligned) return new ctor(bytes.buffer, bytes.byteOffset, count);
  // One copy to an aligned buffer, byte-swapped when the file's order differs from the host's.
  // new Uint8Array(view) copies; Buffer.prototype.slice would not.
  const copy = new Uint8Array(bytes.subarray(0, count * datatype.bytes));
  if (!nativeOrder && datatype.bytes > 1) swapBytes(copy, datatype.bytes);
  return new ctor(copy.buffer, 0, count);
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let start = 0; start < bytes.length; start += width) {
    for (let lo = start, hi = start + width - 1; lo < hi; lo++, hi--) {
      const t = bytes[lo] as number;
      bytes[lo] = bytes[hi] as number;
      bytes[hi] = t;
    }
  }
}

/** int64 voxels are read when every value is an exact float64 integer; larger magnitudes would silently round. */
function copyInt64(source: BigInt64Array | BigUint64Array, out: Float32Array, name: NiftiDatatypeName, scaling: Scaling | undefined): void {
  const slope = scaling?.slope ?? 1, inter = scaling?.inter ?? 0;
  for (let i = 0; i < source.length; i++) {
    const big = source[i] as bigint;
    const value = Number(big);
    if (!Number.isSafeInteger(value)) {
      throw new NiftiError('unsupported-datatype', `${name} voxel ${i} holds ${big}, beyond what a float can represent exactly (2^53)`);
    }
    out[i] = value * slope + inter;
  }
}

function finiteStats(data: Float32Array): VoxelStats {
  let min = Infinity, max = -Infinity, nonFinite = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
    // NaN fails both comparisons above; +-Inf is caught here and the range is recomputed below if needed.
    if (v - v !== 0) nonFinite++;
  }
  if (nonFinite === 0) return { min, max, nonFiniteCount: 0 };
  min = Infinity; max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v - v !== 0) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max, nonFiniteCount: nonFinite };
}
