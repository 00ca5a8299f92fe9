import type { Mat4 } from '../volume/mat4.js';
import { affineToQuaternion, niftiAffine } from './affine.js';
import { datatypeByName, type NiftiDatatypeName } from './datatypes.js';
import { NiftiError } from './errors.js';
import { NIFTI1_HEADER_BYTES, type NiftiHeader } from './header.js';

export type NiftiWriteData = Float32Array | Float64Array | Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** What the encoder needs; a NiftiImage is one (its own header then acts as the reference). */
export interface NiftiWriteInput {
  readonly dims: readonly [number, number, number];
  readonly ijkToRas: Mat4;
  readonly data: NiftiWriteData;
  /** Volumes stored one after another (a 4D file, dim[4] = frames; e.g. 3 for per-voxel coordinates). Default 1. */
  readonly frames?: number;
  /** Reference header: qform/sform codes, units and description are copied from it. */
  readonly header?: NiftiHeader;
}

export type WritableDatatype = Exclude<NiftiDatatypeName, 'int64' | 'uint64'>;

export interface EncodeOptions {
  /** Voxel type on disk; default follows the data's array type (Float32Array -> float32, Uint8Array -> uint8, ...). */
  readonly datatype?: WritableDatatype;
  /** Overrides `input.header` as the reference (e.g. write labels with the CT's header). */
  readonly reference?: NiftiHeader;
  /** Up to 79 ASCII characters; default: the reference's description. */
  readonly description?: string;
}

const VOX_OFFSET = NIFTI1_HEADER_BYTES + 4;
/** NIfTI-1 stores sizes as int16. */
const MAX_NIFTI1_DIM = 32767;
/** 2 = NIFTI_XFORM_ALIGNED_ANAT, used when there is no reference to copy codes from. */
const DEFAULT_XFORM_CODE = 2;
/** mm and seconds. */
const DEFAULT_UNITS = 2 | 8;

const INTEGER_LIMITS: Readonly<Partial<Record<WritableDatatype, readonly [number, number]>>> = {
  uint8: [0, 255], int8: [-128, 127], int16: [-32768, 32767], uint16: [0, 65535],
  int32: [-(2 ** 31), 2 ** 31 - 1], uint32: [0, 2 ** 32 - 1],
};

function defaultDatatype(data: NiftiWriteData): WritableDatatype {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int32Array) return 'int32';
  return 'uint32';
}

/**
 * Encodes a 3D volume as an uncompressed little-endian single-file NIfTI-1 (header, empty extension flag, voxels).
 * The sform and the qform both carry `ijkToRas`; when it equals the reference's affine the reference's geometry
 * fields are copied bit for bit, so the output overlays its reference exactly in nibabel, ITK-SNAP and Slicer.
 */
export function encodeNifti(input: NiftiWriteInput, options: EncodeOptions = {}): Uint8Array {
  const { dims, data } = input;
  const frames = input.frames ?? 1;
  if (!Number.isInteger(frames) || frames < 1 || frames > MAX_NIFTI1_DIM) throw new NiftiError('bad-input', `frames must be an integer from 1 to ${MAX_NIFTI1_DIM}, got ${frames}`);
  const voxels = dims[0] * dims[1] * dims[2] * frames;
  dims.forEach((n, axis) => {
    if (!Number.isInteger(n) || n < 1 || n > MAX_NIFTI1_DIM) {
      throw new NiftiError('bad-input', `dimension ${axis + 1} is ${n}; NIfTI-1 sizes must be integers from 1 to ${MAX_NIFTI1_DIM}`);
    }
  });
  if (data.length !== voxels) throw new NiftiError('bad-input', `the data has ${data.length} values but ${[...dims, ...(frames > 1 ? [frames] : [])].join('x')} needs ${voxels}`);
  if (input.ijkToRas.length !== 16 || !input.ijkToRas.every(Number.isFinite)) {
    throw new NiftiError('bad-input', 'the affine must be 16 finite numbers (a row-major 4x4 matrix)');
  }
  const datatype = datatypeByName(options.datatype ?? defaultDatatype(data));
  const reference = options.reference ?? input.header;

  const out = new Uint8Array(VOX_OFFSET + voxels * datatype.bytes);
  const view = new DataView(out.buffer);
  writeHeader(view, input, datatype.code, datatype.bytes * 8, reference, options.description);
  writeVoxels(out.subarray(VOX_OFFSET), data, datatype.name as WritableDatatype);
  return out;
}

function writeHeader(view: DataView, input: NiftiWriteInput, datatypeCode: number, bitpix: number, reference: NiftiHeader | undefined, description: string | undefined): void {
  const le = true;
  view.setInt32(0, NIFTI1_HEADER_BYTES, le);
  view.setUint8(38, 'r'.charCodeAt(0));
  view.setUint8(39, reference?.dimInfo ?? 0);
  const frames = input.frames ?? 1;
  const dim = [frames > 1 ? 4 : 3, input.dims[0], input.dims[1], input.dims[2], frames, 1, 1, 1];
  dim.forEach((d, i) => view.setInt16(40 + i * 2, d, le));
  view.setInt16(70, datatypeCode, le);
  view.setInt16(72, bitpix, le);
  view.setFloat32(108, VOX_OFFSET, le);
  view.setFloat32(112, 1, le);
  view.setFloat32(116, 0, le);
  view.setUint8(123, reference ? reference.xyztUnits & 0xff : DEFAULT_UNITS);
  writeAscii(view, 148, 80, description ?? reference?.description ?? '');

  const geometry = geometryFields(input.ijkToRas, reference);
  view.setInt16(252, geometry.qformCode, le);
  view.setInt16(254, geometry.sformCode, le);
  geometry.pixdim.forEach((p, i) => view.setFloat32(76 + i * 4, p, le));
  geometry.quatern.forEach((q, i) => view.setFloat32(256 + i * 4, q, le));
  geometry.srow.forEach((v, i) => view.setFloat32(280 + i * 4, v, le));
  writeAscii(view, 344, 4, 'n+1');
}

interface GeometryFields {
  qformCode: number;
  sformCode: number;
  /** pixdim[0..7] (qfac first). */
  pixdim: number[];
  /** quatern_b, c, d, qoffset_x, y, z. */
  quatern: number[];
  /** srow_x, srow_y, srow_z flattened. */
  srow: number[];
}

function geometryFields(ijkToRas: Mat4, reference: NiftiHeader | undefined): GeometryFields {
  const srow = ijkToRas.slice(0, 12);
  const q = affineToQuaternion(ijkToRas);
  const computed = {
    pixdim: [q.qfac, ...q.voxelSizes, 1, 1, 1, 1],
    quatern: [q.b, q.c, q.d, ...q.offset],
  };
  if (!reference) return { qformCode: DEFAULT_XFORM_CODE, sformCode: DEFAULT_XFORM_CODE, srow, ...computed };

  let sameAffine = false;
  try {
    const refAffine = niftiAffine(reference).ijkToRas;
    sameAffine = refAffine.every((v, i) => Math.fround(v) === Math.fround(ijkToRas[i] as number));
  } catch {
    sameAffine = false; // a reference with an unusable affine: write the given affine instead
  }
  let { qformCode, sformCode } = reference;
  if (!sameAffine && qformCode === 0 && sformCode === 0) {
    // Codes 0/0 mean "pixdim only"; keeping them would silently drop the affine the caller asked for.
    qformCode = DEFAULT_XFORM_CODE;
    sformCode = DEFAULT_XFORM_CODE;
  }
  if (!sameAffine || reference.version !== 1) return { qformCode, sformCode, srow, ...computed };
  // Same affine, NIfTI-1 reference: copy its float32 geometry fields exactly (qform and sform may legitimately differ).
  return {
    qformCode,
    sformCode,
    pixdim: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => (i < 4 ? (reference.pixdim[i] ?? 1) : 1)),
    quatern: [reference.quaternB, reference.quaternC, reference.quaternD, reference.qoffsetX, reference.qoffsetY, reference.qoffsetZ],
    srow: reference.sformCode !== 0 ? reference.srow.flat() : srow,
  };
}

function writeAscii(view: DataView, offset: number, size: number, text: string): void {
  const clean = text.replace(/[^\x20-\x7e]/g, '?').slice(0, size - 1);
  for (let i = 0; i < clean.length; i++) view.setUint8(offset + i, clean.charCodeAt(i));
}

function writeVoxels(target: Uint8Array, data: NiftiWriteData, datatype: WritableDatatype): void {
  const limits = INTEGER_LIMITS[datatype];
  if (limits) {
    const [lo, hi] = limits;
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as number;
      if (!Number.isInteger(v) || v < lo || v > hi) {
        throw new NiftiError('bad-input', `voxel ${i} is ${v}, which ${datatype} cannot hold (integers ${lo}..${hi}); round or choose another datatype`);
      }
    }
  }
  const ctors = { uint8: Uint8Array, int8: Int8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, float32: Float32Array, float64: Float64Array } as const;
  // The target starts at byte 352 of a fresh buffer, so every datatype's view is aligned. Little-endian host assumed
  // (x64/arm64); set() converts element types natively.
  const ctor = ctors[datatype];
  new ctor(target.buffer as ArrayBuffer, target.byteOffset, data.length).set(data);
}
