// Small helpers for the NIfTI unit tests: valid files built by the encoder, then mutated.
import { encodeNifti } from '../../../../src/core/nifti/index.js';
import type { Mat4 } from '../../../../src/core/volume/mat4.js';

export const LPS_AFFINE: Mat4 = [-0.8, 0, 0, 100, 0, -0.8, 0, 90, 0, 0, 2.5, -40, 0, 0, 0, 1];

/** A valid uncompressed int16 NIfTI-1 file, 6x5x4, values n - 60. */
export function smallNifti(): Uint8Array {
  const data = new Int16Array(120).map((_, n) => n - 60);
  return encodeNifti({ dims: [6, 5, 4], ijkToRas: LPS_AFFINE, data });
}

export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
