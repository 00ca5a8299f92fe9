/**
 * When not to trust a segmentation: inputs that pass the CT checks (ct-input.ts refuses what is not a CT at all) but
 * lie outside what the models were trained on. `segment` still runs on them and says so, with the numbers and what to
 * do, on stderr, in `--json` (`warnings`) and in the editor. The facts come from the preprocessed case `segment`
 * builds anyway (one pass over the working grid's body mask); the rules are plain comparisons, tested in milliseconds.
 */
import { BODY_THRESHOLD_HU, gridSpacing, type Dims, type PreprocessedCase } from '../preprocess/index.js';
import type { Mat4 } from '../volume/mat4.js';
import { axisMapping } from '../volume/orientation.js';

/**
 * Voxel spacing (mm) the models were trained on, wide enough for every model this project trains. BTCV (vox2vec's
 * protocol) has 0.54-0.98 mm in-plane and 2.5-5 mm slices; TotalSegmentator's dataset is 1.5 mm isotropic; the default
 * model learnt from synthetic CTs with 1-5 mm slices drawn from label maps on 1.5 and 3 mm grids
 * (docs/synth-and-data.md), and its reference CT (example_ct, 3 mm) must not warn. Coarser than this, small organs (adrenals, gallbladder, pancreas) are
 * a few voxels thick and blur away; finer than 0.4 mm (micro-CT, zoomed reconstructions), resampling to the model's
 * grid (linear, no anti-aliasing) keeps the full-resolution noise the model never saw. Slices are the head-foot (S)
 * axis, the scanner's table axis in an axial CT; in-plane are left-right and front-back.
 */
export const TRAINED_SPACING_MM = {
  inPlane: { min: 0.4, max: 3.5 },
  slice: { min: 0.4, max: 6 },
} as const;

/**
 * Fewer voxels than this along an axis of the working grid (the model's spacing) make a thin slab: the default
 * model's window is 32 slices deep (96 mm at 3 mm), so below 16 more than half of every window is padding, the
 * network has little 3-D context, and most organs are cut by the slab's ends.
 */
export const THIN_SLAB_VOXELS = 16;

/**
 * Less body than this (mL, the body mask on the working grid) is a limb, a specimen, a phantom part or the scanner
 * table: an adult abdomen 5 cm thick already holds about 2 L of body, and the liver alone is 1.2-1.8 L.
 */
export const MIN_BODY_ML = 250;

/**
 * The median HU inside the body of a body CT is soft tissue or fat (-120..60 HU on the abdominal CTs here; the real
 * CTs in ../shared/data measure -32, 6 and 33); a median outside this range means uncalibrated intensities (a missing
 * rescale intercept or slope) or a volume that is mostly lung or bone.
 */
export const BODY_MEDIAN_HU = { min: -200, max: 300 } as const;

/** What the rules read: the input's geometry and intensities, and the preprocessed grid the network sees. */
export interface TrustFacts {
  /** The input's spacing along the world axes R, A, S (each voxel axis counted on the world axis it runs along), mm. */
  readonly sourceSpacingRasMm: readonly [number, number, number];
  /** The working grid (RAS, cropped to the body, at the model's spacing) and that spacing. */
  readonly workingDims: Dims;
  readonly workingSpacingMm: readonly [number, number, number];
  /** Voxels inside the body mask on the working grid. */
  readonly bodyVoxels: number;
  /** Median HU inside the body mask (read within the model's HU window); undefined when the mask is empty. */
  readonly bodyMedianHu: number | undefined;
  /** Lowest finite value of the whole input (its field of view), HU. */
  readonly minHu: number;
}

const AXIS_NAMES = ['left-right (R)', 'front-back (A)', 'head-foot (S)'] as const;
const mm = (v: number): string => Number(v.toFixed(2)).toString();

/** One warning per rule that fires, each with its numbers and what to do; empty for an input like the training data. */
export function inputWarnings(facts: TrustFacts): string[] {
  const warnings: string[] = [];
  const { workingDims: dims, workingSpacingMm: spacing } = facts;
  for (const a of [2, 0, 1] as const) {
    if (dims[a] >= THIN_SLAB_VOXELS) continue;
    warnings.push(`thin slab: only ${dims[a]} voxels (${mm(dims[a] * spacing[a])} mm) of body along ${AXIS_NAMES[a]} at the model's ${mm(spacing[a])} mm, fewer than ${THIN_SLAB_VOXELS}; the model's reliability drops on thin slabs (more than half of each window is padding) - segment the full scan if you have it, and check organs cut by the slab's ends`);
  }
  const [r, an, s] = facts.sourceSpacingRasMm;
  const { slice, inPlane } = TRAINED_SPACING_MM;
  if (s > slice.max) warnings.push(`slice spacing ${mm(s)} mm is coarser than the ${slice.max} mm the models were trained on: small organs (adrenals, gallbladder, pancreas) are only a few slices thick and unreliable - use a thinner reconstruction of the scan if there is one`);
  if (s < slice.min) warnings.push(`slice spacing ${mm(s)} mm is finer than the ${slice.min} mm the models were trained on: resampling to the model's ${mm(spacing[2])} mm keeps the full-resolution noise - expect noisier organ borders, or resample (smoothing) to about 1 mm first`);
  const coarse = Math.max(r, an), fine = Math.min(r, an);
  if (coarse > inPlane.max) warnings.push(`in-plane spacing ${mm(r)} x ${mm(an)} mm is coarser than the ${inPlane.max} mm the models were trained on: small organs and vessels blur away - use the scan at its original resolution if this one was downsampled`);
  else if (fine < inPlane.min) warnings.push(`in-plane spacing ${mm(r)} x ${mm(an)} mm is finer than the ${inPlane.min} mm the models were trained on: resampling to the model's ${mm(spacing[0])} mm keeps the full-resolution noise - expect noisier organ borders, or resample (smoothing) to about 1 mm first`);
  const bodyMl = facts.bodyVoxels * spacing[0] * spacing[1] * spacing[2] / 1000;
  if (facts.bodyVoxels === 0) warnings.push(`no body found: nothing at or above ${BODY_THRESHOLD_HU} HU is enclosed away from the image's sides, so every voxel counts as outside air and the labels will be empty - check that this is a body CT in Hounsfield units`);
  else if (bodyMl < MIN_BODY_ML) warnings.push(`very little body: the body mask holds ${bodyMl.toFixed(0)} mL, less than ${MIN_BODY_ML} mL (an adult abdomen 5 cm thick holds about 2 L) - a limb, a specimen or the table is not what the model was trained on; check the input`);
  // Every body CT's field of view holds air (outside the body, in lungs or bowel) below the body threshold.
  if (facts.minHu >= BODY_THRESHOLD_HU) warnings.push(`no air: no voxel is below ${BODY_THRESHOLD_HU} HU (the lowest is ${mm(facts.minHu)} HU), so the body mask covers the whole image - a CT cropped inside the body or with shifted intensities; segment the uncropped scan, or check its rescale slope and intercept`);
  const median = facts.bodyMedianHu;
  if (median !== undefined && (median < BODY_MEDIAN_HU.min || median > BODY_MEDIAN_HU.max)) {
    warnings.push(`the median inside the body is ${median.toFixed(0)} HU, outside ${BODY_MEDIAN_HU.min}..${BODY_MEDIAN_HU.max} HU where soft tissue and fat lie on body CTs: the intensities may not be calibrated Hounsfield units (check the rescale slope and intercept), or the volume is mostly lung or bone - the labels are unreliable`);
  }
  return warnings;
}

/** The spacing along the world axes R, A, S: each voxel axis's spacing on the world axis it runs along (axisMapping). */
export function spacingAlongRas(ijkToRas: Mat4): [number, number, number] {
  const spacing = gridSpacing(ijkToRas);
  const { worldAxis } = axisMapping(ijkToRas);
  const out: [number, number, number] = [0, 0, 0];
  for (let a = 0; a < 3; a++) out[worldAxis[a]!] = spacing[a]!;
  return out;
}

/** Histogram bins across the HU window for the body median: 0.57 HU wide for the default window [-1350, 1000]. */
const MEDIAN_BINS = 4096;

/**
 * Body voxels and the median HU inside the body, from the working grid: `scaled` is HU clipped to `huWindow` and
 * scaled to [0, 1] (what the network sees), so the median is read within the window, to a bin's width. One pass.
 */
export function bodyHuMedian(scaled: Float32Array, mask: Uint8Array, huWindow: readonly [number, number]): { bodyVoxels: number; bodyMedianHu: number | undefined } {
  const counts = new Float64Array(MEDIAN_BINS);
  let bodyVoxels = 0;
  for (let v = 0; v < mask.length; v++) {
    if (mask[v] === 0) continue;
    bodyVoxels++;
    const x = scaled[v]!;
    counts[x <= 0 ? 0 : x >= 1 ? MEDIAN_BINS - 1 : Math.floor(x * MEDIAN_BINS)]!++;
  }
  if (bodyVoxels === 0) return { bodyVoxels, bodyMedianHu: undefined };
  let seen = 0, bin = 0;
  for (; bin < MEDIAN_BINS; bin++) {
    seen += counts[bin]!;
    if (seen >= bodyVoxels / 2) break;
  }
  const [low, high] = huWindow;
  return { bodyVoxels, bodyMedianHu: low + ((bin + 0.5) / MEDIAN_BINS) * (high - low) };
}

/** The facts of a preprocessed case (prepareSegmentation) with the input's lowest value (ctInputStats). */
export function trustFacts(pre: PreprocessedCase, model: { readonly spacingMm: readonly [number, number, number]; readonly huWindow: readonly [number, number] }, minHu: number): TrustFacts {
  return {
    sourceSpacingRasMm: spacingAlongRas(pre.source.ijkToRas),
    workingDims: pre.image.dims,
    workingSpacingMm: model.spacingMm,
    ...bodyHuMedian(pre.image.data, pre.bodyMask.data, model.huWindow),
    minHu,
  };
}
