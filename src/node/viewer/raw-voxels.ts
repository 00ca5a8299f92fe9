// Whether a file's stored voxels already are the values to show, so the webview can inflate the file's own gzip
// bytes instead of receiving the decoded volume. Decided from the header alone (no voxel is inflated), so the host
// can start sending the file as soon as the webview is ready, in parallel with the worker's decode.
import type { NiftiHeader, NiftiLayout } from '../../core/nifti/index.js';
import type { RawVoxels } from '../../protocol/viewer.js';
import { readNiftiHeaderFile } from '../nifti/read-header.js';

/** One frame, little-endian uint8/int16, slope 0 (none) or 1 and no offset: the stored bytes are the shown values. */
export function rawVoxelsOf(header: NiftiHeader, layout: NiftiLayout): RawVoxels | null {
  const unscaled = header.sclSlope === 0 || (header.sclSlope === 1 && header.sclInter === 0) || !Number.isFinite(header.sclSlope);
  if (layout.frames !== 1 || !header.littleEndian || !unscaled) return null;
  const voxelType = layout.datatype.name;
  if (voxelType !== 'uint8' && voxelType !== 'int16') return null;
  // layout.voxOffset is where the decoder reads the voxels (repaired as nibabel does when the header's is too small).
  return { voxelType, voxOffset: layout.voxOffset, voxelCount: layout.dims[0] * layout.dims[1] * layout.dims[2] };
}

/** The header-only check on a file; null for files that must be decoded (or whose header cannot be read). */
export async function readRawVoxels(path: string, maxVoxels: number): Promise<RawVoxels | null> {
  try {
    const { header, layout } = await readNiftiHeaderFile(path, { maxVoxels });
    return rawVoxelsOf(header, layout);
  } catch {
    return null; // the worker reports the real error; here it only means "no fast path"
  }
}
