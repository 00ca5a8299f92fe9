import type { Dims } from '../preprocess/grid.js';
import { createRng, nextFloat, nextNormal, nextUint32, type Rng } from '../random/rng.js';
import type { Patch } from './patch.js';
import { gaussianBlurInPlace } from '../volume/blur.js';

/**
 * On-the-fly augmentations. Each is a pure function of the patch and explicit parameters; `drawAugmentation` is the
 * only place that draws from the RNG, so a run's augmentations are a function of (seed, stream, step).
 * The ranges are ours (vox2vec trains its heads without augmentation); they follow nnU-Net's defaults, scaled to
 * images in [0, 1] where 1 unit = 2350 HU.
 */
export interface AugmentConfig {
  /** Probability of mirroring each axis independently. */
  readonly flipProbability: number;
  readonly rotateProbability: number;
  /** Largest in-plane (about the k axis) rotation, radians. */
  readonly maxRotationRad: number;
  readonly scaleProbability: number;
  /** Isotropic zoom factor range. */
  readonly scaleRange: readonly [number, number];
  readonly intensityProbability: number;
  /** Multiplicative brightness range and additive shift (image units). */
  readonly brightnessRange: readonly [number, number];
  readonly maxShift: number;
  readonly contrastProbability: number;
  readonly contrastRange: readonly [number, number];
  readonly noiseProbability: number;
  /** Largest Gaussian noise standard deviation (image units; 0.01 is about 24 HU). */
  readonly maxNoiseSd: number;
  readonly blurProbability: number;
  /** Gaussian blur sigma range in voxels. */
  readonly blurSigmaRange: readonly [number, number];
}

/**
 * No mirroring by default: BTCV-13 has lateral pairs (left/right kidney and adrenal; spleen left, liver right), and a
 * patch of 128 voxels sees too little of the body to tell a mirrored right kidney from a left one. nnU-Net mirrors
 * because its patches see most of the abdomen.
 */
export const DEFAULT_AUGMENT: AugmentConfig = Object.freeze({
  flipProbability: 0,
  rotateProbability: 0.2,
  maxRotationRad: (15 * Math.PI) / 180,
  scaleProbability: 0.2,
  scaleRange: [0.85, 1.15] as const,
  intensityProbability: 0.15,
  brightnessRange: [0.9, 1.1] as const,
  maxShift: 0.02,
  contrastProbability: 0.15,
  contrastRange: [0.75, 1.25] as const,
  noiseProbability: 0.1,
  maxNoiseSd: 0.01,
  blurProbability: 0.2,
  blurSigmaRange: [0.5, 1] as const,
});

/** Everything one augmentation needs; identity values (no flip, 0 rad, scale 1, ...) leave the patch as it is. */
export interface AugmentParams {
  readonly flip: readonly [boolean, boolean, boolean];
  readonly rotationRad: number;
  readonly scale: number;
  readonly brightness: number;
  readonly shift: number;
  readonly contrast: number;
  readonly noiseSd: number;
  /** Seeds the noise field, so applying the same params twice gives the same patch. */
  readonly noiseSeed: number;
  readonly blurSigma: number;
}

function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * nextFloat(rng);
}

export function drawAugmentation(rng: Rng, config: AugmentConfig = DEFAULT_AUGMENT): AugmentParams {
  // Every draw happens unconditionally so the number of draws per patch is constant (resume-friendly, easy to reason).
  const flip = [nextFloat(rng) < config.flipProbability, nextFloat(rng) < config.flipProbability, nextFloat(rng) < config.flipProbability] as const;
  const rotate = nextFloat(rng) < config.rotateProbability, angle = uniform(rng, -config.maxRotationRad, config.maxRotationRad);
  const zoom = nextFloat(rng) < config.scaleProbability, scale = uniform(rng, config.scaleRange[0], config.scaleRange[1]);
  const intensity = nextFloat(rng) < config.intensityProbability;
  const brightness = uniform(rng, config.brightnessRange[0], config.brightnessRange[1]), shift = uniform(rng, -config.maxShift, config.maxShift);
  const contrast = nextFloat(rng) < config.contrastProbability, factor = uniform(rng, config.contrastRange[0], config.contrastRange[1]);
  const noise = nextFloat(rng) < config.noiseProbability, noiseSd = uniform(rng, 0, config.maxNoiseSd), noiseSeed = nextUint32(rng);
  const blur = nextFloat(rng) < config.blurProbability, sigma = uniform(rng, config.blurSigmaRange[0], config.blurSigmaRange[1]);
  return {
    flip,
    rotationRad: rotate ? angle : 0,
    scale: zoom ? scale : 1,
    brightness: intensity ? brightness : 1,
    shift: intensity ? shift : 0,
    contrast: contrast ? factor : 1,
    noiseSd: noise ? noiseSd : 0,
    noiseSeed,
    blurSigma: blur ? sigma : 0,
  };
}

/** Applies spatial transforms to image, labels and mask alike, then intensity transforms to the image only. */
export function augmentPatch(patch: Patch, params: AugmentParams, spacingMm: readonly [number, number, number]): Patch {
  let out = flipPatch(patch, params.flip);
  if (params.rotationRad !== 0 || params.scale !== 1) out = rotateScalePatch(out, params.rotationRad, params.scale, spacingMm);
  let image = out.image;
  if (params.brightness !== 1 || params.shift !== 0) image = adjustBrightness(image, params.brightness, params.shift);
  if (params.contrast !== 1) image = adjustContrast(image, params.contrast);
  if (params.blurSigma > 0) image = gaussianBlur(image, out.size, [params.blurSigma, params.blurSigma, params.blurSigma * (spacingMm[0] / spacingMm[2])]);
  if (params.noiseSd > 0) image = addGaussianNoise(image, params.noiseSd, params.noiseSeed);
  return { ...out, image };
}

/** Mirrors along each axis whose flag is set. */
export function flipPatch(patch: Patch, flip: readonly [boolean, boolean, boolean]): Patch {
  if (!flip[0] && !flip[1] && !flip[2]) return patch;
  const [nx, ny, nz] = patch.size;
  const image = new Float32Array(patch.image.length), labels = new Uint8Array(patch.labels.length), mask = new Uint8Array(patch.bodyMask.length);
  let out = 0;
  for (let k = 0; k < nz; k++) {
    const sk = flip[2] ? nz - 1 - k : k;
    for (let j = 0; j < ny; j++) {
      const sj = flip[1] ? ny - 1 - j : j;
      const row = nx * (sj + ny * sk);
      for (let i = 0; i < nx; i++, out++) {
        const src = row + (flip[0] ? nx - 1 - i : i);
        image[out] = patch.image[src]!;
        labels[out] = patch.labels[src]!;
        mask[out] = patch.bodyMask[src]!;
      }
    }
  }
  return { ...patch, image, labels, bodyMask: mask };
}

/**
 * Rotates about the k axis by `angleRad` and zooms by `scale` around the patch centre, in millimetres so anisotropic
 * spacing stays correct. Image trilinear, labels and mask nearest; samples from outside the patch are 0.
 */
export function rotateScalePatch(patch: Patch, angleRad: number, scale: number, spacingMm: readonly [number, number, number]): Patch {
  const [nx, ny, nz] = patch.size;
  const c = [(nx - 1) / 2, (ny - 1) / 2, (nz - 1) / 2] as const;
  // Output voxel -> source voxel: undo the zoom and the rotation in mm, then back to voxels.
  const cos = Math.cos(angleRad) / scale, sin = Math.sin(angleRad) / scale;
  const [sx, sy, sz] = spacingMm;
  const image = new Float32Array(patch.image.length), labels = new Uint8Array(patch.labels.length), mask = new Uint8Array(patch.bodyMask.length);
  let out = 0;
  for (let k = 0; k < nz; k++) {
    const z = c[2] + (k - c[2]) / scale;
    const z0 = Math.floor(z), wz = z - z0, zn = Math.round(z);
    for (let j = 0; j < ny; j++) {
      const ymm = (j - c[1]) * sy;
      for (let i = 0; i < nx; i++, out++) {
        const xmm = (i - c[0]) * sx;
        const x = c[0] + (cos * xmm + sin * ymm) / sx;
        const y = c[1] + (-sin * xmm + cos * ymm) / sy;
        image[out] = sampleLinear(patch.image, patch.size, x, y, z0, wz);
        const xn = Math.round(x), yn = Math.round(y);
        if (xn >= 0 && xn < nx && yn >= 0 && yn < ny && zn >= 0 && zn < nz) {
          const src = xn + nx * (yn + ny * zn);
          labels[out] = patch.labels[src]!;
          mask[out] = patch.bodyMask[src]!;
        }
      }
    }
  }
  return { ...patch, image, labels, bodyMask: mask };
}

function sampleLinear(data: Float32Array, dims: Dims, x: number, y: number, z0: number, wz: number): number {
  const [nx, ny, nz] = dims;
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const wx = x - x0, wy = y - y0;
  let sum = 0;
  for (let dz = 0; dz < 2; dz++) {
    const z = z0 + dz;
    if (z < 0 || z >= nz) continue;
    const fz = dz ? wz : 1 - wz;
    for (let dy = 0; dy < 2; dy++) {
      const yy = y0 + dy;
      if (yy < 0 || yy >= ny) continue;
      const fzy = fz * (dy ? wy : 1 - wy);
      const row = nx * (yy + ny * z);
      if (x0 >= 0 && x0 < nx) sum += fzy * (1 - wx) * data[row + x0]!;
      if (x0 + 1 >= 0 && x0 + 1 < nx) sum += fzy * wx * data[row + x0 + 1]!;
    }
  }
  return sum;
}

/** x * brightness + shift. */
export function adjustBrightness(image: Float32Array, brightness: number, shift: number): Float32Array {
  const out = new Float32Array(image.length);
  for (let n = 0; n < image.length; n++) out[n] = image[n]! * brightness + shift;
  return out;
}

/** (x - mean) * factor + mean, clipped to the patch's original range (nnU-Net's contrast augmentation). */
export function adjustContrast(image: Float32Array, factor: number): Float32Array {
  let sum = 0, lo = Infinity, hi = -Infinity;
  for (const v of image) { sum += v; if (v < lo) lo = v; if (v > hi) hi = v; }
  const mean = sum / image.length;
  const out = new Float32Array(image.length);
  for (let n = 0; n < image.length; n++) out[n] = Math.min(hi, Math.max(lo, (image[n]! - mean) * factor + mean));
  return out;
}

export function addGaussianNoise(image: Float32Array, sd: number, seed: number): Float32Array {
  const rng = createRng(seed, 0);
  const out = new Float32Array(image.length);
  for (let n = 0; n < image.length; n++) out[n] = image[n]! + sd * nextNormal(rng);
  return out;
}

/** A blurred copy (separable Gaussian, kernel truncated at 3 sigma, edges replicated); sigma 0 leaves an axis alone. */
export function gaussianBlur(image: Float32Array, dims: Dims, sigmaVoxels: readonly [number, number, number]): Float32Array {
  const out = new Float32Array(image);
  gaussianBlurInPlace(out, dims, sigmaVoxels);
  return out;
}
