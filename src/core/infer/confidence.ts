/**
 * Per-organ confidence: the mean predicted probability (the model's sigmoid or softmax output after stitching) of an
 * organ's class over the voxels finally labelled with it. The probabilities exist only while a slice is decided
 * (slidingWindowLabels never holds the whole volume's channels), and post-processing (largest component) removes
 * voxels afterwards, so each decided voxel's own-class probability is kept as a uint16 on the working grid:
 * 2 bytes per working voxel (half the preprocessed image's float32), quantisation error at most 1 / 131070.
 * It is the model's own score, not a calibrated probability that the organ is right.
 */

/** Probabilities are stored as round(p x CONFIDENCE_SCALE) in a Uint16Array. */
export const CONFIDENCE_SCALE = 65535;

/**
 * For the voxels of one decided slice: the probability of the class each was labelled with (0 for background),
 * quantised into `out` from `offset`. `probabilities` is channels x voxels, channel-major (a SliceDecision's input);
 * label l's channel is l - 1 for sigmoid outputs (no background channel) and l for softmax (channel 0 = background).
 */
export function keepAssignedProbabilities(probabilities: Float32Array, channels: number, labels: Uint8Array, activation: 'sigmoid' | 'softmax', out: Uint16Array, offset: number): void {
  const voxels = labels.length;
  if (probabilities.length !== channels * voxels) throw new RangeError(`keepAssignedProbabilities: ${probabilities.length} probabilities for ${channels} channels x ${voxels} voxels`);
  const shift = activation === 'sigmoid' ? -1 : 0;
  for (let v = 0; v < voxels; v++) {
    const label = labels[v]!;
    if (label === 0) { out[offset + v] = 0; continue; }
    const p = probabilities[(label + shift) * voxels + v]!;
    out[offset + v] = Math.round((p <= 0 ? 0 : p >= 1 ? 1 : p) * CONFIDENCE_SCALE);
  }
}

/** Mean kept probability per label present in `labels` (background 0 left out), after any post-processing. One pass. */
export function meanProbabilityByLabel(labels: Uint8Array, kept: Uint16Array): Map<number, number> {
  if (labels.length !== kept.length) throw new RangeError(`meanProbabilityByLabel: ${labels.length} labels, ${kept.length} probabilities`);
  const count = new Float64Array(256), sum = new Float64Array(256);
  for (let v = 0; v < labels.length; v++) {
    const l = labels[v]!;
    count[l]!++;
    sum[l]! += kept[v]!;
  }
  const out = new Map<number, number>();
  for (let l = 1; l < 256; l++) if (count[l]! > 0) out.set(l, sum[l]! / count[l]! / CONFIDENCE_SCALE);
  return out;
}
