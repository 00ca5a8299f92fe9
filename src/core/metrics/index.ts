export { DICE_EPS, BTCV13_CLASSES, diceBinary, dicePerClass, meanFinite } from './dice.js';
export { squaredDistanceToFeatures } from './distance.js';
export { surfaceVoxels, percentile, hausdorffDistance, hausdorffPerClass } from './hausdorff.js';
export { meanSd, createAccumulator, accumulate, summarize, type MeanSd, type MetricAccumulator, type MetricSummary } from './accumulator.js';
export { organStats, voxelVolumeMm3, withConfidence, type OrganStat } from './organ-stats.js';
