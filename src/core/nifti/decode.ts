import type { Mat4 } from '../volume/mat4.js';
import type { AffineSource } from './affine.js';
import type { NiftiDatatypeName } from './datatypes.js';
import { NiftiError } from './errors.js';
import type { NiftiHeader } from './header.js';
import type { LayoutOptions, NiftiLayout } from './layout.js';
import type { DecodedVoxels } from './voxels.js';

/** One 3D frame of a NIfTI file as float32, with its world geometry and the header it came from. Plain data. */
export interface NiftiImage {
  /** Spatial size (i, j, k); dimensions beyond 3 are frames. */
  readonly dims: [number, number, number];
  /** Number of 3D frames in the file (product of dim[4..7]). */
  readonly frames: number;
  /** Which frame `data` holds. */
  readonly frame: number;
  /** Distance in mm between neighbouring voxel centres along i, j, k (the affine's column lengths). */
  readonly spacing: [number, number, number];
  /** Voxel type stored in the file. */
  readonly datatype: NiftiDatatypeName;
  /** ijk (0-based voxel index) -> RAS millimetres, the affine nibabel reports (row-major). */
  readonly ijkToRas: Mat4;
  readonly affineSource: AffineSource;
  /** e.g. "LPS": the direction in which each of i, j, k grows. */
  readonly orientation: string;
  /** Scaled values (scl_slope/scl_inter applied), `data[i + j * nx + k * nx * ny]`. */
  readonly data: Float32Array;
  /** Finite min/max of `data`. */
  readonly range: [number, number];
  /** NaN/Inf voxels are kept as they are; this counts them so the UI can say so. */
  readonly nonFiniteCount: number;
  readonly header: NiftiHeader;
}

export interface DecodeOptions extends LayoutOptions {
  /** Which 3D frame of a 4D+ file to decode (default 0). */
  readonly frame?: number;
  /** Throw NiftiError('non-finite') instead of keeping NaN/Inf voxels. */
  readonly rejectNonFinite?: boolean;
}

export function checkFileLength(layout: NiftiLayout, available: number): void {
  if (available < layout.requiredBytes) {
    const { dims, frames, datatype } = layout;
    throw new NiftiError(
      'truncated',
      `the file is truncated or its header is wrong: ${dims.join('x')}${frames > 1 ? `x${frames}` : ''} ${datatype.name} voxels from byte ${layout.voxOffset} need ${layout.requiredBytes} bytes, the file has ${available}`,
    );
  }
}

/** Validates the requested frame number against the file. */
export function checkFrame(layout: NiftiLayout, frame: number | undefined): number {
  const f = frame ?? 0;
  if (!Number.isInteger(f) || f < 0 || f >= layout.frames) {
    throw new NiftiError('bad-frame', `frame ${f} does not exist; the file has ${layout.frames} frame${layout.frames === 1 ? '' : 's'} (0..${layout.frames - 1})`);
  }
  return f;
}

/** Wraps already decoded voxels (e.g. decoded block by block while streaming) into a NiftiImage. */
export function assembleDecoded(header: NiftiHeader, layout: NiftiLayout, frame: number, decoded: DecodedVoxels, options: DecodeOptions = {}): NiftiImage {
  if (options.rejectNonFinite && decoded.nonFiniteCount > 0) {
    throw new NiftiError('non-finite', `${decoded.nonFiniteCount} voxels are NaN or infinite`);
  }
  return {
    dims: layout.dims,
    frames: layout.frames,
    frame,
    spacing: layout.spacing,
    datatype: layout.datatype.name,
    ijkToRas: layout.ijkToRas,
    affineSource: layout.affineSource,
    orientation: layout.orientation,
    data: decoded.data,
    range: decoded.range,
    nonFiniteCount: decoded.nonFiniteCount,
    header,
  };
}
