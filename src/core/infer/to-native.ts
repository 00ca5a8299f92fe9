import { mat4InvertAffine, type Mat4 } from '../volume/mat4.js';
import { PreprocessError, type Dims } from '../preprocess/grid.js';

/**
 * Resamples a label map from the preprocessed grid back onto the source grid by nearest neighbour: source voxel s
 * takes the label of the preprocessed voxel nearest to inv(toSourceIjk) * s (half-way rounds up); source voxels
 * outside the preprocessed box (cropped away as air) are background. `toSourceIjk` is PreprocessedCase.toSourceIjk.
 */
export function labelsToSourceGrid(labels: Uint8Array, dims: Dims, toSourceIjk: Mat4, sourceDims: Dims): Uint8Array {
  if (labels.length !== dims[0] * dims[1] * dims[2]) throw new PreprocessError(`labelsToSourceGrid: labels hold ${labels.length} voxels, ${dims.join('x')} expected`);
  const m = mat4InvertAffine(toSourceIjk);
  const out = new Uint8Array(sourceDims[0] * sourceDims[1] * sourceDims[2]);
  const [nx, ny, nz] = dims;
  // Walk source rows: the preprocessed position moves by the inverse's first column per step in i.
  const dx = [m[0]!, m[4]!, m[8]!];
  let index = 0;
  for (let k = 0; k < sourceDims[2]; k++) {
    for (let j = 0; j < sourceDims[1]; j++) {
      let x = m[1]! * j + m[2]! * k + m[3]!, y = m[5]! * j + m[6]! * k + m[7]!, z = m[9]! * j + m[10]! * k + m[11]!;
      for (let i = 0; i < sourceDims[0]; i++, index++, x += dx[0]!, y += dx[1]!, z += dx[2]!) {
        // 1e-6 voxel tolerance: a centre that maps exactly half-way must not flip with rounding noise.
        const a = Math.floor(x + 0.5 + 1e-6), b = Math.floor(y + 0.5 + 1e-6), c = Math.floor(z + 0.5 + 1e-6);
        if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
        out[index] = labels[a + nx * (b + ny * c)]!;
      }
    }
  }
  return out;
}
