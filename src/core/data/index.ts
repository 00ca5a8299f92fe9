export { DEFAULT_PATCH_SIZE, indexClassVoxels, sampleStart, samplePatch, extractBox, type TrainingVolume, type Patch, type ClassVoxels, type PatchSamplingOptions } from './patch.js';
export {
  DEFAULT_AUGMENT, drawAugmentation, augmentPatch, flipPatch, rotateScalePatch, adjustBrightness, adjustContrast, addGaussianNoise,
  gaussianBlur, gaussianKernel, type AugmentConfig, type AugmentParams,
} from './augment.js';
