import { mat4InvertAffine, mat4Multiply, type Mat4 } from '../volume/mat4.js';
import { reorientToRas } from '../volume/orientation.js';
import { bodyMask } from './body-mask.js';
import { BODY_THRESHOLD_HU, bodyBoundingBox, cropGrid, translation } from './crop.js';
import { checkGrid, PreprocessError, sameGeometry, type Box, type Dims, type Grid, type VoxelArray } from './grid.js';
import { clipAndScaleHu, DEFAULT_HU_WINDOW } from './intensity.js';
import { toLabelArray } from './labels.js';
import { DEFAULT_SPACING_MM, resampleToSpacing, scaleMatrix, gridSpacing } from './resample.js';

/** The vox2vec BTCV protocol's parameters; every field has the protocol's value as default. */
export interface PreprocessOptions {
  readonly spacingMm?: readonly [number, number, number];
  readonly huWindow?: readonly [number, number];
  readonly bodyThresholdHu?: number;
  readonly cropMarginVoxels?: number;
  readonly maskConnectivity?: 6 | 26;
}

export interface PreprocessInput {
  /** CT in HU as read from the file (any orientation). */
  readonly image: Grid<VoxelArray>;
  /** Label map on the same grid as the image (same dims and affine). */
  readonly labels?: Grid<VoxelArray>;
}

export interface PreprocessedCase {
  /** HU clipped to the window and scaled to [0, 1], RAS-oriented, cropped, at the target spacing. */
  readonly image: Grid<Float32Array>;
  readonly labels?: Grid<Uint8Array>;
  /** 1 inside the body, 0 in the outside air; same grid as `image`. */
  readonly bodyMask: Grid<Uint8Array>;
  /**
   * Output ijk -> source ijk (the grid as passed in, before reorientation), composed from exact parts (an integer
   * permutation/flip, an integer crop offset and the resampling scale), so predictions map back without drift.
   */
  readonly toSourceIjk: Mat4;
  readonly source: { readonly dims: Dims; readonly ijkToRas: Mat4 };
  /** The body box on the RAS-oriented source grid. */
  readonly box: Box;
}

/**
 * vox2vec's preprocessing, in its order: canonical (RAS) orientation; crop to the bounding box of HU >= -500;
 * resample to 1x1x2 mm (trilinear image, nearest labels); body mask from the resampled HU; HU clip [-1350, 1000]
 * scaled to [0, 1]. Throws PreprocessError for mismatched labels or an image with no body.
 */
export function preprocessCase(input: PreprocessInput, options: PreprocessOptions = {}): PreprocessedCase {
  const spacingMm = options.spacingMm ?? DEFAULT_SPACING_MM;
  checkGrid(input.image, 'preprocessCase image');
  if (input.labels) {
    checkGrid(input.labels, 'preprocessCase labels');
    if (!sameGeometry(input.image, input.labels)) {
      throw new PreprocessError(`preprocessCase: labels (${input.labels.dims.join('x')}) are not on the image's grid (${input.image.dims.join('x')}) or their affines differ`);
    }
  }
  const canonical = reorientToRas(input.image);
  const box = bodyBoundingBox(canonical, { thresholdHu: options.bodyThresholdHu ?? BODY_THRESHOLD_HU, marginVoxels: options.cropMarginVoxels ?? 0 });
  const hu = resampleToSpacing(cropGrid(canonical, box), spacingMm, 'linear');
  const mask = bodyMask(hu, { thresholdHu: options.bodyThresholdHu ?? BODY_THRESHOLD_HU, connectivity: options.maskConnectivity ?? 26 });
  const image: Grid<Float32Array> = { dims: hu.dims, ijkToRas: hu.ijkToRas, data: clipAndScaleHu(hu.data, options.huWindow ?? DEFAULT_HU_WINDOW) };

  const step = [0, 1, 2].map((a) => (spacingMm[a] as number) / (gridSpacing(canonical.ijkToRas)[a] as number)) as [number, number, number];
  const toSourceIjk = mat4Multiply(mat4Multiply(reorientationToSource(input.image.ijkToRas, canonical.ijkToRas), translation(box.start)), scaleMatrix(step));
  const result: PreprocessedCase = {
    image,
    bodyMask: { dims: hu.dims, ijkToRas: [...hu.ijkToRas], data: mask },
    toSourceIjk,
    source: { dims: input.image.dims, ijkToRas: input.image.ijkToRas },
    box,
  };
  if (!input.labels) return result;
  const labelGrid = { dims: input.labels.dims, ijkToRas: input.image.ijkToRas, data: toLabelArray(input.labels.data) };
  const labels = resampleToSpacing(cropGrid(reorientToRas(labelGrid), box), spacingMm, 'nearest');
  return { ...result, labels };
}

/** Canonical ijk -> source ijk: in exact arithmetic a signed permutation with integer offsets, so it is rounded to one. */
function reorientationToSource(sourceIjkToRas: Mat4, canonicalIjkToRas: Mat4): Mat4 {
  return mat4Multiply(mat4InvertAffine(sourceIjkToRas), canonicalIjkToRas).map((v) => Math.round(v));
}
