export { PreprocessError, voxelIndex, voxelCount, checkGrid, sameGeometry, type Grid, type VoxelArray, type Box, type Dims } from './grid.js';
export { BODY_THRESHOLD_HU, bodyBoundingBox, checkBox, cropGrid, translation, type BodyBoxOptions } from './crop.js';
export { DEFAULT_SPACING_MM, contiguous, gridSpacing, resampledAxis, resampleStrided, resampleToSpacing, scaleMatrix, type Interpolation, type StridedGrid } from './resample.js';
export { rasCropView, type RasCropView } from './ras-view.js';
export { DEFAULT_HU_WINDOW, clipAndScaleHu } from './intensity.js';
export { bodyMask, type BodyMaskOptions } from './body-mask.js';
export { toLabelArray, presentClasses, labelsOutside } from './labels.js';
export { preprocessCase, type PreprocessInput, type PreprocessOptions, type PreprocessedCase } from './pipeline.js';
