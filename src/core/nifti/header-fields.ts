import { DATATYPES } from './datatypes.js';
import type { NiftiHeader } from './header.js';

export interface HeaderField {
  readonly name: string;
  readonly value: string;
}

const XFORM_NAMES: Readonly<Record<number, string>> = { 0: 'unknown', 1: 'scanner', 2: 'aligned', 3: 'talairach', 4: 'mni', 5: 'template' };
const SPACE_UNITS: Readonly<Record<number, string>> = { 0: 'unknown', 1: 'm', 2: 'mm', 3: 'um' };
const TIME_UNITS: Readonly<Record<number, string>> = { 0: 'unknown', 8: 's', 16: 'ms', 24: 'us', 32: 'Hz', 40: 'ppm', 48: 'rad/s' };
const SLICE_CODES: Readonly<Record<number, string>> = { 0: 'unknown', 1: 'seq_inc', 2: 'seq_dec', 3: 'alt_inc', 4: 'alt_dec', 5: 'alt_inc2', 6: 'alt_dec2' };
const EXTENSION_CODES: Readonly<Record<number, string>> = {
  0: 'ignore', 2: 'DICOM', 4: 'AFNI', 6: 'comment', 8: 'XCEDE', 10: 'jimdiminfo', 12: 'workflow_fwds', 14: 'freesurfer',
  16: 'pypickle', 18: 'mind_ident', 20: 'b_value', 22: 'spherical_direction', 24: 'dt_component', 26: 'shc_degreeorder',
  28: 'voxbo', 30: 'caret', 32: 'cifti', 34: 'variable_frame_timing', 38: 'eval', 40: 'matlab', 42: 'quantiphyse', 44: 'mrs',
};

const num = (v: number): string => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(8))));
const list = (values: readonly number[]): string => `[${values.map(num).join(', ')}]`;
const named = (code: number, names: Readonly<Record<number, string>>): string => `${code} (${names[code] ?? 'not standard'})`;

/** Every header field as display strings, in file order, for a header panel or `anadiff info`. */
export function headerFields(image: { readonly header: NiftiHeader }): HeaderField[] {
  const h = image.header;
  const datatype = DATATYPES.find((d) => d.code === h.datatypeCode)?.name ?? 'unsupported';
  const fields: [string, string][] = [
    ['version', `NIfTI-${h.version}`],
    ['byte order', h.littleEndian ? 'little-endian' : 'big-endian'],
    ['sizeof_hdr', num(h.sizeofHdr)],
    ['magic', JSON.stringify(h.magic)],
    ['dim_info', `${h.dimInfo} (freq ${h.dimInfo & 3}, phase ${(h.dimInfo >> 2) & 3}, slice ${(h.dimInfo >> 4) & 3})`],
    ['dim', list(h.dim)],
    ['intent_p1', num(h.intentP1)],
    ['intent_p2', num(h.intentP2)],
    ['intent_p3', num(h.intentP3)],
    ['intent_code', num(h.intentCode)],
    ['intent_name', JSON.stringify(h.intentName)],
    ['datatype', `${h.datatypeCode} (${datatype})`],
    ['bitpix', num(h.bitpix)],
    ['slice_start', num(h.sliceStart)],
    ['slice_end', num(h.sliceEnd)],
    ['slice_code', named(h.sliceCode, SLICE_CODES)],
    ['slice_duration', num(h.sliceDuration)],
    ['pixdim', list(h.pixdim)],
    ['vox_offset', num(h.voxOffset)],
    ['scl_slope', num(h.sclSlope)],
    ['scl_inter', num(h.sclInter)],
    ['xyzt_units', `${h.xyztUnits} (space ${SPACE_UNITS[h.xyztUnits & 7] ?? '?'}, time ${TIME_UNITS[h.xyztUnits & 56] ?? '?'})`],
    ['cal_max', num(h.calMax)],
    ['cal_min', num(h.calMin)],
    ['toffset', num(h.toffset)],
    ['descrip', JSON.stringify(h.description)],
    ['aux_file', JSON.stringify(h.auxFile)],
    ['qform_code', named(h.qformCode, XFORM_NAMES)],
    ['sform_code', named(h.sformCode, XFORM_NAMES)],
    ['quatern_b', num(h.quaternB)],
    ['quatern_c', num(h.quaternC)],
    ['quatern_d', num(h.quaternD)],
    ['qoffset_x', num(h.qoffsetX)],
    ['qoffset_y', num(h.qoffsetY)],
    ['qoffset_z', num(h.qoffsetZ)],
    ['srow_x', list(h.srow[0] ?? [])],
    ['srow_y', list(h.srow[1] ?? [])],
    ['srow_z', list(h.srow[2] ?? [])],
    ['extensions', h.extensions.length === 0 ? 'none' : h.extensions.map((e) => `${named(e.code, EXTENSION_CODES)}: ${e.data.byteLength} bytes`).join('; ')],
  ];
  return fields.map(([name, value]) => ({ name, value }));
}
