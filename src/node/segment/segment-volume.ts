/**
 * One CT in, one label map out, on the CT's own grid: preprocessCase (exactly the training preprocessing) ->
 * sliding-window inference through a WindowPredictor -> body mask + threshold (sigmoid) or argmax (softmax) ->
 * largest connected component per organ -> label values -> nearest back to the native grid. Pure: imports only core, the network is the predictor callback.
 */
import { slidingWindowLabels, type BlendMode, type WindowPredictor } from '../../core/infer/sliding-window.js';
import { keepLargestComponents } from '../../core/infer/components.js';
import { keepAssignedProbabilities, meanProbabilityByLabel } from '../../core/infer/confidence.js';
import { argmaxLabels, labelsFromProbabilities } from '../../core/infer/postprocess.js';
import { labelsToSourceGrid } from '../../core/infer/to-native.js';
import { preprocessCase, type Grid, type PreprocessedCase, type VoxelArray } from '../../core/preprocess/index.js';
import type { SegmentModelMetadata } from './model-metadata.js';

export class SegmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SegmentError';
  }
}

/**
 * segment's window overlap: MONAI's default. On the real subject-A CT with the default model, 0.25 scored the same
 * mean Dice as vox2vec's 0.5 (0.670 vs 0.667) with 30 windows instead of 54; evaluation protocols keep 0.5.
 */
export const SEGMENT_OVERLAP = 0.25;

export interface SegmentOptions {
  /** Window overlap in [0, 1) (default SEGMENT_OVERLAP). */
  readonly overlap?: number;
  readonly blend?: BlendMode;
  /** Windows per predictor call (default 1). */
  readonly batchSize?: number;
  /** 'threshold' for sigmoid models (default 0.5), 'argmax' for softmax models; default follows the activation. */
  readonly decision?: { readonly kind: 'threshold'; readonly threshold: number } | { readonly kind: 'argmax' };
  /**
   * Keep only each organ's largest 26-connected component (nnU-Net's post-processing; default true). Off: the raw
   * thresholded map, as the vox2vec protocol scores it.
   */
  readonly largestComponent?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface SegmentResult {
  /** Label values on the input's grid (same dims and voxel order). */
  readonly labels: Uint8Array;
  /** The preprocessed grid the network saw. */
  readonly workingDims: readonly [number, number, number];
  readonly windows: number;
  /** Voxels the largest-component step set to background (0 when it is off). */
  readonly removedVoxels: number;
  /**
   * Per label value present on the working grid: the mean predicted probability of its class over the voxels finally
   * labelled with it (core/infer/confidence.ts), in [0, 1].
   */
  readonly confidence: ReadonlyMap<number, number>;
}

/** Checks that the decision fits the model's activation; returns the one to use. */
export function decisionFor(metadata: SegmentModelMetadata, asked: SegmentOptions['decision']): NonNullable<SegmentOptions['decision']> {
  if (metadata.activation === 'sigmoid') {
    if (asked?.kind === 'argmax') throw new SegmentError('--argmax applies to softmax models; this model has one sigmoid channel per class (use --threshold T)');
    const decision = asked ?? { kind: 'threshold', threshold: 0.5 };
    if (!(decision.threshold > 0 && decision.threshold < 1)) throw new SegmentError(`the threshold must be in (0, 1), got ${decision.threshold}`);
    return decision;
  }
  if (asked?.kind === 'threshold') throw new SegmentError('--threshold applies to sigmoid models; this model is a softmax model (labels by --argmax)');
  return { kind: 'argmax' };
}

/**
 * segmentVolume in two steps, so a caller can drop the CT between them: the float32 CT (314 MB for a 512x512x300
 * scan) is needed only by preprocessing; inference works on the much smaller preprocessed grid.
 */
export function prepareSegmentation(image: Grid<VoxelArray>, metadata: SegmentModelMetadata): PreprocessedCase {
  return preprocessCase({ image }, { spacingMm: metadata.spacingMm, huWindow: metadata.huWindow });
}

/**
 * Sliding-window inference on a prepared case, decided slice by slice (slidingWindowLabels: the blended channels
 * of the whole working grid are never held), then post-processing and the way back to the source grid.
 */
export async function inferSegmentation(pre: PreprocessedCase, metadata: SegmentModelMetadata, predict: WindowPredictor, options: SegmentOptions = {}): Promise<SegmentResult> {
  const decision = decisionFor(metadata, options.decision);
  const classes = metadata.classNames.length;
  const channels = metadata.activation === 'softmax' ? classes + 1 : classes;
  const sliceVoxels = pre.image.dims[0] * pre.image.dims[1];
  const bodyMask = pre.bodyMask.data;
  let windows = 0;
  // Each decided voxel's own-class probability, 2 bytes per working voxel, dropped when this function returns.
  const kept = new Uint16Array(bodyMask.length);
  const classLabels = await slidingWindowLabels(pre.image.data, pre.image.dims, {
    roi: metadata.patch,
    outChannels: channels,
    overlap: options.overlap ?? SEGMENT_OVERLAP,
    ...(options.blend !== undefined ? { blend: options.blend } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    onProgress: (done, total) => { windows = total; options.onProgress?.(done, total); },
  }, predict, (blended, k) => {
    const sliceMask = bodyMask.subarray(k * sliceVoxels, (k + 1) * sliceVoxels);
    const labels = decision.kind === 'threshold'
      ? labelsFromProbabilities(blended, channels, { threshold: decision.threshold, bodyMask: sliceMask })
      : argmaxLabels(blended, channels, sliceMask);
    keepAssignedProbabilities(blended, channels, labels, metadata.activation, kept, k * sliceVoxels);
    return labels;
  });
  const removedVoxels = options.largestComponent === false ? 0 : keepLargestComponents(classLabels, pre.image.dims).removedVoxels;
  if (metadata.labelValues) {
    const values = Uint8Array.from([0, ...metadata.labelValues]);
    for (let v = 0; v < classLabels.length; v++) classLabels[v] = values[classLabels[v]!]!;
  }
  const confidence = meanProbabilityByLabel(classLabels, kept);
  return { labels: labelsToSourceGrid(classLabels, pre.image.dims, pre.toSourceIjk, pre.source.dims), workingDims: pre.image.dims, windows, removedVoxels, confidence };
}

export async function segmentVolume(image: Grid<VoxelArray>, metadata: SegmentModelMetadata, predict: WindowPredictor, options: SegmentOptions = {}): Promise<SegmentResult> {
  decisionFor(metadata, options.decision);
  return inferSegmentation(prepareSegmentation(image, metadata), metadata, predict, options);
}
