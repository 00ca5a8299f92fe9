export { DEFAULT_PATCH_SIZE, indexClassVoxels, sampleStart, samplePatch, extractBox, slabOf, DEFAULT_SLAB_SLICES, type TrainingVolume, type Patch, type ClassVoxels, type PatchSamplingOptions } from './patch.js';
export {
  DEFAULT_AUGMENT, drawAugmentation, augmentPatch, flipPatch, rotateScalePatch, adjustBrightness, adjustContrast, addGaussianNoise,
  gaussianBlur, type AugmentConfig, type AugmentParams,
} from './augment.js';
export { gaussianKernel } from '../volume/blur.js';
