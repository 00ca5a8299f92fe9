export {
  DEFAULT_ROI, DEFAULT_OVERLAP, windowStarts, gaussianWeights, centreOwnership, windowWeights, windowGrid, createStitcher, addWindow,
  finishStitching, slidingWindowInference, slidingWindowLabels, type SliceDecision, type BlendMode, type Stitcher, type WindowBatch, type WindowPredictor, type SlidingWindowOptions,
} from './sliding-window.js';
export { sigmoid, labelsFromProbabilities, channelMask, argmaxLabels } from './postprocess.js';
export { labelsToSourceGrid } from './to-native.js';
export { keepLargestComponents, type ComponentStats } from './components.js';
export { CONFIDENCE_SCALE, keepAssignedProbabilities, meanProbabilityByLabel } from './confidence.js';
export { TRAINED_SPACING_MM, THIN_SLAB_VOXELS, MIN_BODY_ML, BODY_MEDIAN_HU, inputWarnings, spacingAlongRas, bodyHuMedian, trustFacts, type TrustFacts } from './trust.js';
