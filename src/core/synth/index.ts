export { BTCV13_TOTALSEG_NAMES, TISSUES, TOTALSEG_NAMES, TOTALSEG_TO_BTCV, classTable, guessVocabulary, type ClassInfo, type ClassVocabulary, type Tissue } from './classes.js';
export { HU_RANGES, PHASES, ORAL_CONTRAST_HU, drawIntensities, type HuKey, type HuRange, type Phase, type TissueIntensities } from './hu-table.js';
export { DEFAULT_DEFORMATION, deformLabels, drawDeformation, type DeformationParams, type DeformationRanges } from './deform.js';
export { REGION_AIR, REGION_FAT, REGION_INTERIOR, REGION_LABELED, REGION_WALL, bodyRegions, drawBodyParams, type BodyParams } from './body.js';
export { addSmoothField, labelDepth, type Dims3 } from './fields.js';
export { gaussianBlurInPlace as gaussianBlur } from '../volume/blur.js';
export {
  DEFAULT_BIAS_SD_HU, DEFAULT_NOISE_SD_HU, DEFAULT_SLICE_THICKNESS_MM, synthesizeCase,
  type SynthCase, type SynthOptions, type SynthParams,
} from './generate.js';
export { sourceIjkToRas } from './oracle-coords.js';
