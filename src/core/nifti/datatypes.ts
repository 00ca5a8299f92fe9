import { NiftiError } from './errors.js';

/** Voxel types anadiff reads (and, for the first few, writes). */
export type NiftiDatatypeName =
  | 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64';

export interface NiftiDatatype {
  readonly name: NiftiDatatypeName;
  /** NIfTI `datatype` code. */
  readonly code: number;
  readonly bytes: number;
}

export const DATATYPES: readonly NiftiDatatype[] = [
  { name: 'uint8', code: 2, bytes: 1 },
  { name: 'int16', code: 4, bytes: 2 },
  { name: 'int32', code: 8, bytes: 4 },
  { name: 'float32', code: 16, bytes: 4 },
  { name: 'float64', code: 64, bytes: 8 },
  { name: 'int8', code: 256, bytes: 1 },
  { name: 'uint16', code: 512, bytes: 2 },
  { name: 'uint32', code: 768, bytes: 4 },
  { name: 'int64', code: 1024, bytes: 8 },
  { name: 'uint64', code: 1280, bytes: 8 },
];

/** Codes the NIfTI standard defines that anadiff does not read, with the reason shown to the user. */
const UNSUPPORTED: Readonly<Record<number, string>> = {
  0: 'datatype 0 (unknown/none)',
  1: 'datatype 1 (BINARY, 1 bit per voxel)',
  32: 'datatype 32 (COMPLEX64)',
  128: 'datatype 128 (RGB24, colour images)',
  1536: 'datatype 1536 (FLOAT128)',
  1792: 'datatype 1792 (COMPLEX128)',
  2048: 'datatype 2048 (COMPLEX256)',
  2304: 'datatype 2304 (RGBA32, colour images)',
};

export function datatypeByCode(code: number): NiftiDatatype {
  const found = DATATYPES.find((d) => d.code === code);
  if (found) return found;
  const known = UNSUPPORTED[code];
  throw new NiftiError(
    'unsupported-datatype',
    known
      ? `${known} is not supported; anadiff reads scalar ${DATATYPES.map((d) => d.name).join(', ')} volumes`
      : `datatype code ${code} is not a NIfTI datatype (the header may be corrupt)`,
  );
}

export function datatypeByName(name: NiftiDatatypeName): NiftiDatatype {
  return DATATYPES.find((d) => d.name === name) as NiftiDatatype;
}
