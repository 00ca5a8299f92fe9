/**
 * Turning blended network outputs into label maps. Layout: channels x voxels, channel-major.
 * vox2vec's protocol: 13 sigmoid channels (no background), times the body mask, threshold 0.5.
 */

/** Logistic sigmoid, elementwise, into a new array. */
export function sigmoid(logits: Float32Array): Float32Array {
  const out = new Float32Array(logits.length);
  for (let n = 0; n < logits.length; n++) out[n] = 1 / (1 + Math.exp(-logits[n]!));
  return out;
}

/**
 * A label map from per-class probabilities (channel c is class c + 1): among the channels at or above `threshold`,
 * the most probable wins; voxels outside the body mask (when given) are background. Classes may overlap in
 * vox2vec's multi-label output; a label map needs one class per voxel, and the per-class masks (`channelMask`) keep
 * the overlap for the protocol's Dice.
 */
export function labelsFromProbabilities(probabilities: Float32Array, channels: number, options: { threshold?: number; bodyMask?: Uint8Array } = {}): Uint8Array {
  const threshold = options.threshold ?? 0.5;
  const voxels = probabilities.length / channels;
  const out = new Uint8Array(voxels);
  const mask = options.bodyMask;
  for (let v = 0; v < voxels; v++) {
    if (mask && mask[v] === 0) continue;
    let best = 0, bestP = threshold;
    for (let c = 0; c < channels; c++) {
      const p = probabilities[c * voxels + v]!;
      if (p >= bestP && (best === 0 || p > bestP)) { best = c + 1; bestP = p; }
    }
    out[v] = best;
  }
  return out;
}

/** Binary mask of one channel: probability >= threshold and inside the body mask. */
export function channelMask(probabilities: Float32Array, channels: number, channel: number, options: { threshold?: number; bodyMask?: Uint8Array } = {}): Uint8Array {
  const threshold = options.threshold ?? 0.5;
  const voxels = probabilities.length / channels;
  const out = new Uint8Array(voxels);
  for (let v = 0; v < voxels; v++) {
    out[v] = probabilities[channel * voxels + v]! >= threshold && (!options.bodyMask || options.bodyMask[v] === 1) ? 1 : 0;
  }
  return out;
}

/** Argmax over channels where channel 0 is background (softmax outputs need no softmax for argmax). */
export function argmaxLabels(scores: Float32Array, channels: number, bodyMask?: Uint8Array): Uint8Array {
  const voxels = scores.length / channels;
  const out = new Uint8Array(voxels);
  for (let v = 0; v < voxels; v++) {
    if (bodyMask && bodyMask[v] === 0) continue;
    let best = 0, bestS = scores[v]!;
    for (let c = 1; c < channels; c++) {
      const s = scores[c * voxels + v]!;
      if (s > bestS) { best = c; bestS = s; }
    }
    out[v] = best;
  }
  return out;
}
