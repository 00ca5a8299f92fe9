export { METADATA_KEY, ModelMetadataError, parseModelMetadata, readEmbeddedMetadata, embedMetadata, modelInputShape, type SegmentModelMetadata } from './model-metadata.js';
export { BTCV13_NAMES, DEFAULT_MODEL_PATH, locateModel, defaultModelRoots, resolveModel, metadataFromRunConfig, type ResolvedModel } from './resolve-model.js';
export { SegmentError, decisionFor, segmentVolume, prepareSegmentation, inferSegmentation, type SegmentOptions, type SegmentResult } from './segment-volume.js';
export { createOnnxPredictor, type OnnxPredictor } from './onnx-predictor.js';
export { segmentFile, type SegmentFileOptions, type SegmentFileResult } from './segment-file.js';
