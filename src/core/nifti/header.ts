import { NiftiError } from './errors.js';

/** nifti-reader-js ships as ESM only while this package is CommonJS: load it once through `import()`. */
type NiftiReaderModule = typeof import('nifti-reader-js', { with: { 'resolution-mode': 'import' } });
let readerModule: Promise<NiftiReaderModule> | undefined;
function loadNiftiReader(): Promise<NiftiReaderModule> {
  readerModule ??= import('nifti-reader-js');
  return readerModule;
}

export const NIFTI1_HEADER_BYTES = 348;
export const NIFTI2_HEADER_BYTES = 540;

/** One header extension (e.g. code 4 AFNI, 6 comment, 32 DICOM JSON sidecar); `data` excludes the 8-byte esize/ecode. */
export interface NiftiExtension {
  readonly code: number;
  readonly data: Uint8Array;
}

/**
 * Every field of a NIfTI-1 or NIfTI-2 header, as stored (before any repair), in one plain record.
 * NIfTI-2 widens ints to int64 and floats to float64; both fit a JS number here.
 */
export interface NiftiHeader {
  readonly version: 1 | 2;
  readonly littleEndian: boolean;
  readonly sizeofHdr: number;
  readonly magic: string;
  readonly dimInfo: number;
  /** dim[0] is the number of dimensions, dim[1..7] the sizes. */
  readonly dim: readonly number[];
  readonly intentP1: number;
  readonly intentP2: number;
  readonly intentP3: number;
  readonly intentCode: number;
  readonly intentName: string;
  readonly datatypeCode: number;
  readonly bitpix: number;
  readonly sliceStart: number;
  readonly sliceEnd: number;
  readonly sliceCode: number;
  readonly sliceDuration: number;
  /** pixdim[0] is qfac, pixdim[1..3] voxel sizes, pixdim[4] the time step. */
  readonly pixdim: readonly number[];
  readonly voxOffset: number;
  readonly sclSlope: number;
  readonly sclInter: number;
  readonly xyztUnits: number;
  readonly calMax: number;
  readonly calMin: number;
  readonly toffset: number;
  readonly description: string;
  readonly auxFile: string;
  readonly qformCode: number;
  readonly sformCode: number;
  readonly quaternB: number;
  readonly quaternC: number;
  readonly quaternD: number;
  readonly qoffsetX: number;
  readonly qoffsetY: number;
  readonly qoffsetZ: number;
  /** srow_x, srow_y, srow_z: the sform's first three rows. */
  readonly srow: readonly (readonly [number, number, number, number])[];
  readonly extensions: readonly NiftiExtension[];
}

function readInt32(bytes: Uint8Array, offset: number, littleEndian: boolean): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(offset, littleEndian);
}

/** Which NIfTI version and byte order `sizeof_hdr` announces, or a NiftiError saying why this is not NIfTI. */
export function sniffNifti(bytes: Uint8Array): { version: 1 | 2; littleEndian: boolean; headerBytes: number } {
  if (bytes.byteLength < 4) throw new NiftiError('truncated', `the file is ${bytes.byteLength} bytes long, too short for a NIfTI header`);
  for (const littleEndian of [true, false]) {
    const size = readInt32(bytes, 0, littleEndian);
    const version = size === NIFTI1_HEADER_BYTES ? 1 : size === NIFTI2_HEADER_BYTES ? 2 : undefined;
    if (version === undefined) continue;
    const headerBytes = size;
    if (bytes.byteLength < headerBytes) {
      throw new NiftiError('truncated', `the file ends after ${bytes.byteLength} bytes, inside its ${headerBytes}-byte NIfTI-${version} header`);
    }
    checkMagic(bytes, version);
    return { version, littleEndian, headerBytes };
  }
  throw new NiftiError('not-nifti', 'not a NIfTI file: the first 4 bytes give neither 348 (NIfTI-1) nor 540 (NIfTI-2) as the header size');
}

function checkMagic(bytes: Uint8Array, version: 1 | 2): void {
  const at = version === 1 ? 344 : 4;
  const magic = String.fromCharCode(...bytes.subarray(at, at + 3));
  if (magic === `n+${version}`) return;
  if (magic === `ni${version}`) {
    throw new NiftiError('not-nifti', `this is the header of a .hdr/.img pair (magic "ni${version}"); only single-file .nii/.nii.gz is supported`);
  }
  throw new NiftiError('not-nifti', `not a NIfTI-${version} file: the magic string is ${JSON.stringify(magic)} instead of "n+${version}"`);
}

/** The smallest voxel offset a single-file NIfTI can have: the header plus the 4-byte extension flag. */
export function minimumVoxOffset(version: 1 | 2): number {
  return (version === 1 ? NIFTI1_HEADER_BYTES : NIFTI2_HEADER_BYTES) + 4;
}

/**
 * Parses the header (nifti-reader-js does the field decoding) and the extensions that fit before the voxel data.
 * `bytes` must hold at least the header; extensions are read from whatever of the bytes up to vox_offset is present.
 */
export async function parseNiftiHeader(bytes: Uint8Array): Promise<NiftiHeader> {
  const { version, littleEndian, headerBytes } = sniffNifti(bytes);
  const reader = await loadNiftiReader();
  // Only the fixed header goes to nifti-reader-js: its extension walker trusts esize, so extensions are parsed below.
  const headerCopy = new Uint8Array(bytes.subarray(0, headerBytes)).buffer; // a copy even when given a Node Buffer
  const parsed = version === 1 ? new reader.NIFTI1() : new reader.NIFTI2();
  try {
    parsed.readHeader(headerCopy);
  } catch (err) {
    throw new NiftiError('bad-header', `the NIfTI-${version} header could not be parsed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  // nifti-reader-js folds srow into its own `affine` only when it prefers the sform, so read srow directly.
  const srow = [0, 1, 2].map((r) =>
    [0, 1, 2, 3].map((c) =>
      version === 1 ? view.getFloat32(280 + (r * 4 + c) * 4, littleEndian) : view.getFloat64(400 + (r * 4 + c) * 8, littleEndian),
    ) as [number, number, number, number],
  );
  const voxOffset = Number(parsed.vox_offset);
  return {
    version,
    littleEndian,
    sizeofHdr: headerBytes,
    magic: parsed.magic.replace(/[^\x20-\x7e]/g, ''),
    dimInfo: parsed.dim_info,
    dim: parsed.dims.slice(0, 8),
    intentP1: parsed.intent_p1,
    intentP2: parsed.intent_p2,
    intentP3: parsed.intent_p3,
    intentCode: parsed.intent_code,
    intentName: parsed.intent_name,
    datatypeCode: parsed.datatypeCode,
    bitpix: parsed.numBitsPerVoxel,
    sliceStart: parsed.slice_start,
    sliceEnd: parsed.slice_end,
    sliceCode: parsed.slice_code,
    sliceDuration: parsed.slice_duration,
    pixdim: parsed.pixDims.slice(0, 8),
    voxOffset,
    sclSlope: parsed.scl_slope,
    sclInter: parsed.scl_inter,
    xyztUnits: parsed.xyzt_units,
    calMax: parsed.cal_max,
    calMin: parsed.cal_min,
    toffset: parsed.toffset,
    description: parsed.description,
    auxFile: parsed.aux_file,
    qformCode: parsed.qform_code,
    sformCode: parsed.sform_code,
    quaternB: parsed.quatern_b,
    quaternC: parsed.quatern_c,
    quaternD: parsed.quatern_d,
    qoffsetX: parsed.qoffset_x,
    qoffsetY: parsed.qoffset_y,
    qoffsetZ: parsed.qoffset_z,
    srow,
    extensions: parseExtensions(bytes, headerBytes, voxOffset, littleEndian),
  };
}

/**
 * Extensions sit between the header and vox_offset when byte 0 of the 4-byte flag after the header is non-zero.
 * A malformed chain (esize < 8, not a multiple of 8, or past vox_offset) ends the walk instead of failing the
 * load: the voxel data is still well defined by vox_offset.
 */
function parseExtensions(bytes: Uint8Array, headerBytes: number, voxOffset: number, littleEndian: boolean): NiftiExtension[] {
  const end = Math.min(Number.isFinite(voxOffset) ? voxOffset : 0, bytes.byteLength);
  if (end < headerBytes + 4 + 8 || bytes[headerBytes] === 0) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: NiftiExtension[] = [];
  let pos = headerBytes + 4;
  while (pos + 8 <= end) {
    const esize = view.getInt32(pos, littleEndian);
    const code = view.getInt32(pos + 4, littleEndian);
    if (esize < 8 || esize % 8 !== 0 || pos + esize > end) break;
    out.push({ code, data: new Uint8Array(bytes.subarray(pos + 8, pos + esize)) });
    pos += esize;
  }
  return out;
}
