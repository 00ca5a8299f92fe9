import { columnNorm, type Mat4 } from '../volume/mat4.js';
import { orientationCode } from '../volume/orientation.js';
import { niftiAffine, type AffineSource } from './affine.js';
import { datatypeByCode, type NiftiDatatype } from './datatypes.js';
import { NiftiError } from './errors.js';
import { minimumVoxOffset, type NiftiHeader } from './header.js';

/** Default cap on voxels per 3D frame: 512^3 = 134M voxels, 512 MiB as float32. */
export const DEFAULT_MAX_VOXELS = 512 ** 3;

/** Largest single dimension accepted; a larger one is almost certainly a corrupt header. */
const MAX_DIM = 2 ** 31 - 1;

/** `y = slope * x + inter`, or undefined when the header asks for no scaling. */
export interface Scaling {
  readonly slope: number;
  readonly inter: number;
}

/** Everything needed to locate and decode the voxels, checked for consistency. */
export interface NiftiLayout {
  readonly dims: [number, number, number];
  /** Product of dim[4..7]: the number of 3D volumes stored one after the other. */
  readonly frames: number;
  readonly datatype: NiftiDatatype;
  /** Byte offset of the first voxel (repaired as nibabel does when it is too small). */
  readonly voxOffset: number;
  readonly bytesPerFrame: number;
  /** vox_offset + all frames: the decompressed size the file must have at least. */
  readonly requiredBytes: number;
  readonly scaling: Scaling | undefined;
  readonly ijkToRas: Mat4;
  readonly affineSource: AffineSource;
  readonly spacing: [number, number, number];
  readonly orientation: string;
}

export interface LayoutOptions {
  /** Refuse volumes with more voxels per 3D frame than this (default DEFAULT_MAX_VOXELS). */
  readonly maxVoxels?: number;
}

export function niftiLayout(header: NiftiHeader, options: LayoutOptions = {}): NiftiLayout {
  const maxVoxels = options.maxVoxels ?? DEFAULT_MAX_VOXELS;
  const ndim = header.dim[0] ?? 0;
  if (!Number.isInteger(ndim) || ndim < 1 || ndim > 7) {
    throw new NiftiError('bad-dims', `dim[0] (the number of dimensions) is ${ndim}; it must be between 1 and 7`);
  }
  const sizes: number[] = [];
  for (let i = 1; i <= ndim; i++) {
    const n = header.dim[i] ?? 0;
    if (!Number.isInteger(n) || n < 1) {
      throw new NiftiError('bad-dims', `dimension ${i} has size ${n}; every size must be at least 1`);
    }
    if (n > MAX_DIM) throw new NiftiError('bad-dims', `dimension ${i} has size ${n}, which is not plausible`);
    sizes.push(n);
  }
  const dims = [0, 1, 2].map((i) => sizes[i] ?? 1) as [number, number, number];
  const frames = sizes.slice(3).reduce((p, n) => p * n, 1);
  const voxels = dims[0] * dims[1] * dims[2];
  if (voxels > maxVoxels) {
    throw new NiftiError('too-large', `the volume has ${voxels} voxels (${dims.join('x')}), more than the limit of ${maxVoxels} (option maxVoxels)`);
  }
  const datatype = datatypeByCode(header.datatypeCode);

  const rawOffset = header.voxOffset;
  if (!Number.isFinite(rawOffset) || rawOffset < 0) {
    throw new NiftiError('bad-header', `vox_offset is ${rawOffset}; it must be a byte offset of at least ${minimumVoxOffset(header.version)}`);
  }
  const voxOffset = Math.max(Math.floor(rawOffset), minimumVoxOffset(header.version));
  const bytesPerFrame = voxels * datatype.bytes;
  const requiredBytes = voxOffset + bytesPerFrame * frames;
  if (!Number.isSafeInteger(requiredBytes)) {
    throw new NiftiError('too-large', `the header describes ${frames} frames of ${voxels} voxels, too much data to be real`);
  }

  const { ijkToRas, source } = niftiAffine(header);
  return {
    dims,
    frames,
    datatype,
    voxOffset,
    bytesPerFrame,
    requiredBytes,
    scaling: headerScaling(header),
    ijkToRas,
    affineSource: source,
    spacing: [columnNorm(ijkToRas, 0), columnNorm(ijkToRas, 1), columnNorm(ijkToRas, 2)],
    orientation: orientationCode(ijkToRas),
  };
}

/** nibabel's `get_slope_inter`: a zero or non-finite slope means "no scaling"; a valid slope with a non-finite intercept is an error. */
function headerScaling(header: NiftiHeader): Scaling | undefined {
  const slope = header.sclSlope, inter = header.sclInter;
  if (slope === 0 || !Number.isFinite(slope)) return undefined;
  if (!Number.isFinite(inter)) throw new NiftiError('bad-header', `scl_slope is ${slope} but scl_inter is ${inter}; the intercept must be finite`);
  if (slope === 1 && inter === 0) return undefined;
  return { slope, inter };
}
