/**
 * APE's per-view augmentation (mishgon/ape datamodule; docs/coords.md), on an image already scaled to [0, 1]:
 *   blur or sharpen in the axial plane (p 0.8, half each; sigma U[0, 1.5] mm, sharpen alpha U[0, 2]),
 *   Gaussian noise (p 0.8, sd U[0, 0.1]), brightness x U[0.8, 1.2] (p 0.8) and contrast x U[0.8, 1.2] around the
 *   mean (p 0.8), both clipped to [0, 1], gamma U[0.8, 1.25] (p 0.8), and block masking (p 0.5: 60% of 32x32x16
 *   blocks, at most a quarter of the crop per axis). APE hands the mask to its network; ours has no mask input, so masked voxels are set to 0 (air), which
 *   asks the same of the model: place voxels whose surroundings it cannot see.
 * Every draw comes from `rng` (the data stream), so resume stays exact.
 */
import { addGaussianNoise, gaussianBlur } from '../data/augment.js';
import type { Dims } from '../preprocess/grid.js';
import { nextFloat, nextInt, nextUint32, type Rng } from '../random/rng.js';

export interface CoordsAugmentConfig {
  readonly blurOrSharpenP: number;
  readonly sigmaMm: readonly [number, number];
  readonly sharpenAlpha: readonly [number, number];
  readonly noiseP: number;
  readonly noiseSd: readonly [number, number];
  readonly brightnessP: number;
  readonly brightness: readonly [number, number];
  readonly contrastP: number;
  readonly contrast: readonly [number, number];
  readonly gammaP: number;
  readonly gamma: readonly [number, number];
  readonly maskP: number;
  readonly maskRatio: number;
  /** Block size in voxels (i, j, k); smaller crops use the crop size. */
  readonly maskBlock: readonly [number, number, number];
}

export const APE_AUGMENT: CoordsAugmentConfig = Object.freeze({
  blurOrSharpenP: 0.8, sigmaMm: [0, 1.5] as const, sharpenAlpha: [0, 2] as const,
  noiseP: 0.8, noiseSd: [0, 0.1] as const,
  brightnessP: 0.8, brightness: [0.8, 1.2] as const,
  contrastP: 0.8, contrast: [0.8, 1.2] as const,
  gammaP: 0.8, gamma: [0.8, 1.25] as const,
  maskP: 0.5, maskRatio: 0.6, maskBlock: [32, 32, 16] as const,
});

const uniform = (rng: Rng, [lo, hi]: readonly [number, number]): number => lo + (hi - lo) * nextFloat(rng);
const clip01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** An augmented copy of one view (i fastest, `dims` i, j, k, `spacing` mm). */
export function augmentCoordsView(rng: Rng, image: Float32Array, dims: Dims, spacing: readonly [number, number, number], cfg: CoordsAugmentConfig = APE_AUGMENT): Float32Array {
  let x = image;
  if (nextFloat(rng) < cfg.blurOrSharpenP) {
    const sharpen = nextFloat(rng) >= 0.5;
    const sigma = uniform(rng, cfg.sigmaMm);
    const alpha = sharpen ? uniform(rng, cfg.sharpenAlpha) : 0;
    const blurred = gaussianBlur(x, dims, [sigma / spacing[0], sigma / spacing[1], 0]);
    if (sharpen) {
      const out = new Float32Array(x.length);
      for (let n = 0; n < x.length; n++) out[n] = x[n]! + alpha * (x[n]! - blurred[n]!);
      x = out;
    } else {
      x = blurred;
    }
  }
  if (nextFloat(rng) < cfg.noiseP) x = addGaussianNoise(x, uniform(rng, cfg.noiseSd), nextUint32(rng));
  if (x === image) x = new Float32Array(image);
  if (nextFloat(rng) < cfg.brightnessP) {
    const b = uniform(rng, cfg.brightness);
    for (let n = 0; n < x.length; n++) x[n] = clip01(x[n]! * b);
  }
  if (nextFloat(rng) < cfg.contrastP) {
    const c = uniform(rng, cfg.contrast);
    let mean = 0;
    for (let n = 0; n < x.length; n++) mean += x[n]!;
    mean /= x.length;
    for (let n = 0; n < x.length; n++) x[n] = clip01((x[n]! - mean) * c + mean);
  }
  if (nextFloat(rng) < cfg.gammaP) {
    const g = uniform(rng, cfg.gamma);
    for (let n = 0; n < x.length; n++) x[n] = Math.pow(clip01(x[n]!), g);
  }
  if (nextFloat(rng) < cfg.maskP) maskBlocks(rng, x, dims, cfg);
  return x;
}

/**
 * Zeroes floor(ratio x blocks) blocks chosen uniformly without replacement. A block is at most a quarter of the crop
 * per axis, so a small crop still has blocks to keep (96x96x64 gets 24x24x16, as pretraining.md records).
 */
function maskBlocks(rng: Rng, x: Float32Array, dims: Dims, cfg: CoordsAugmentConfig): void {
  const block = [0, 1, 2].map((a) => Math.max(1, Math.min(cfg.maskBlock[a]!, Math.floor(dims[a]! / 4))));
  const counts = [0, 1, 2].map((a) => Math.ceil(dims[a]! / block[a]!));
  const total = counts[0]! * counts[1]! * counts[2]!;
  const order = Array.from({ length: total }, (_, n) => n);
  const masked = Math.floor(total * cfg.maskRatio);
  for (let t = 0; t < masked; t++) {
    const r = t + nextInt(rng, total - t);
    [order[t], order[r]] = [order[r]!, order[t]!];
    const b = order[t]!;
    const bi = b % counts[0]!, bj = Math.floor(b / counts[0]!) % counts[1]!, bk = Math.floor(b / (counts[0]! * counts[1]!));
    for (let k = bk * block[2]!; k < Math.min(dims[2]!, (bk + 1) * block[2]!); k++) {
      for (let j = bj * block[1]!; j < Math.min(dims[1]!, (bj + 1) * block[1]!); j++) {
        const row = dims[0]! * (j + dims[1]! * k);
        x.fill(0, row + bi * block[0]!, row + Math.min(dims[0]!, (bi + 1) * block[0]!));
      }
    }
  }
}
