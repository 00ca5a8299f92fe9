import { resampleToSpacing, gridSpacing, PreprocessError, checkGrid, type Grid } from '../preprocess/index.js';
import { createRng, nextFloat, nextNormal, type Rng } from '../random/rng.js';
import { REGION_AIR, REGION_FAT, REGION_INTERIOR, REGION_WALL, bodyRegions, drawBodyParams, type BodyParams } from './body.js';
import { TISSUE_INDEX, classTable, type ClassVocabulary, type Tissue } from './classes.js';
import { DEFAULT_DEFORMATION, deformLabels, drawDeformation, type DeformationParams, type DeformationRanges } from './deform.js';
import { gaussianBlurInPlace as gaussianBlur } from '../volume/blur.js';
import { addSmoothField, labelDepth, type Dims3 } from './fields.js';
import { sourceIjkToRas } from './oracle-coords.js';
import { drawIntensities, HU_KEYS, type HuKey, type Phase, type TissueIntensities } from './hu-table.js';

/**
 * One synthetic CT from one label map, SynthSeg-style (Billot et al., 2023): deform the labels, paint each tissue with
 * a drawn mean HU plus smooth texture, then degrade like a scanner (partial-volume blur, slice thickness, a bias
 * field, correlated noise). The output labels are the deformed labels themselves, so they are exact for the image.
 * Pure and deterministic: the same (labels, seed, caseIndex, options) give the same voxels.
 */

export interface SynthOptions {
  readonly vocabulary: ClassVocabulary;
  /** Contrast phase; drawn per case when absent. */
  readonly phase?: Phase;
  readonly deformation?: DeformationRanges;
  /** Output slice thickness = spacing along k, drawn in this range (mm). */
  readonly sliceThicknessMm?: readonly [number, number];
  /** Correlated noise sd range (HU). */
  readonly noiseSdHu?: readonly [number, number];
  /** Bias (cupping / beam-hardening like) field sd range (HU). */
  readonly biasSdHu?: readonly [number, number];
  /** Also return the oracle coordinates (`coordsRas`); costs 12 bytes per source voxel while the case is made. */
  readonly coords?: boolean;
}

// 1-5 mm: thin-slice arterial scans to 5 mm routine and legacy reconstructions (issue 12).
export const DEFAULT_SLICE_THICKNESS_MM: readonly [number, number] = [1, 5];
export const DEFAULT_NOISE_SD_HU: readonly [number, number] = [5, 30];
export const DEFAULT_BIAS_SD_HU: readonly [number, number] = [0, 12];

/** Everything drawn for one case: written next to the case as JSON, and what the tests check statistics against. */
export interface SynthParams {
  readonly seed: number;
  readonly caseIndex: number;
  readonly vocabulary: ClassVocabulary;
  readonly intensities: TissueIntensities;
  readonly deformation: DeformationParams;
  readonly body: BodyParams;
  readonly partialVolumeMm: number;
  readonly sliceThicknessMm: number;
  readonly noiseSdHu: number;
  readonly noiseCorrelationMm: number;
  readonly biasSdHu: number;
  readonly gasThreshold: number;
  readonly interiorSoftThreshold: number;
}

export interface SynthCase {
  /** Hounsfield units, clamped to [-1024, 3071]. */
  readonly image: Grid<Int16Array>;
  /** BTCV-13 labels on the image's grid. */
  readonly labels: Grid<Uint8Array>;
  /**
   * With `options.coords`: per voxel of `image` the RAS mm point of the source label map that the deformation maps it
   * to (oracle-coords.ts), 3 volumes back to back (x, then y, then z) on the image's grid, resampled as the image is.
   */
  readonly coordsRas?: { readonly dims: Dims3; readonly ijkToRas: Grid<Float32Array>['ijkToRas']; readonly data: Float32Array };
  readonly params: SynthParams;
}

const HU_MIN = -1024;
const HU_MAX = 3071;
/** Keys whose voxels get no tissue texture (air has none; gas pockets are already heterogeneous). */
const UNTEXTURED: ReadonlySet<HuKey> = new Set(['air', 'gas']);

const uniform = (rng: Rng, [lo, hi]: readonly [number, number]) => lo + (hi - lo) * nextFloat(rng);

/** Draws every scalar of the case up front, so the draw order (and thus determinism) is easy to see. */
function drawScalars(rng: Rng, options: SynthOptions) {
  const deformation = drawDeformation(rng, options.deformation ?? DEFAULT_DEFORMATION);
  const intensities = drawIntensities(rng, options.phase);
  const body = drawBodyParams(rng);
  return {
    deformation, intensities, body,
    partialVolumeMm: uniform(rng, [0.3, 1.2]),
    sliceThicknessMm: uniform(rng, options.sliceThicknessMm ?? DEFAULT_SLICE_THICKNESS_MM),
    noiseSdHu: uniform(rng, options.noiseSdHu ?? DEFAULT_NOISE_SD_HU),
    noiseCorrelationMm: uniform(rng, [0.3, 1.0]),
    biasSdHu: uniform(rng, options.biasSdHu ?? DEFAULT_BIAS_SD_HU),
    gasThreshold: uniform(rng, [0.8, 1.8]),
    interiorSoftThreshold: uniform(rng, [-0.8, 0.3]),
  };
}

export function synthesizeCase(source: Grid<Uint8Array>, seed: number, caseIndex: number, options: SynthOptions): SynthCase {
  checkGrid(source, 'synth labels');
  const dims = source.dims as Dims3;
  const spacing = gridSpacing(source.ijkToRas) as Dims3;
  const rng = createRng(seed, caseIndex);
  const s = drawScalars(rng, options);
  const params: SynthParams = { seed, caseIndex, vocabulary: options.vocabulary, ...s };

  const sourceIjk = options.coords ? new Float32Array(3 * source.data.length) : undefined;
  const deformed = deformLabels(rng, source.data, dims, spacing, s.deformation, sourceIjk);
  const regions = bodyRegions(deformed, dims, spacing, s.body);
  const count = deformed.length;

  // Smooth fields (unit sd at control points): tissue texture at two scales, gas pockets, interior soft-tissue mix.
  const texture = new Float32Array(count);
  addSmoothField(rng, texture, dims, spacing, 30, 0.8);
  addSmoothField(rng, texture, dims, spacing, 10, 0.6);
  const gas = new Float32Array(count);
  addSmoothField(rng, gas, dims, spacing, 20, 1);
  const mix = new Float32Array(count);
  addSmoothField(rng, mix, dims, spacing, 15, 1);

  const hu = paintTissues(deformed, regions, dims, spacing, texture, gas, mix, params);

  // Partial-volume blur: the scanner's in-plane point spread; a little along k too.
  const pv = s.partialVolumeMm;
  gaussianBlur(hu, dims, [pv / spacing[0], pv / spacing[1], Math.min(0.5, pv / spacing[2])]);
  // Slice thickness: integrate along k over the new thickness (beyond what the source slices already integrate),
  // then resample k to that spacing; labels take the nearest slice.
  const t = s.sliceThicknessMm;
  const extraSigmaMm = Math.sqrt(Math.max(0, t * t - spacing[2] * spacing[2])) / 2.355;
  gaussianBlur(hu, dims, [0, 0, extraSigmaMm / spacing[2]]);
  const target = [spacing[0], spacing[1], t] as const;
  const image = resampleToSpacing({ dims, ijkToRas: source.ijkToRas, data: hu }, target, 'linear');
  const labels = resampleToSpacing({ dims, ijkToRas: source.ijkToRas, data: toBtcv(deformed, options.vocabulary) }, target, 'nearest');
  const outDims = image.dims as Dims3;
  const out = image.data;
  let coordsRas: SynthCase['coordsRas'];
  if (sourceIjk) {
    // Linear, like the image: the coordinates of a thick slice are those of its centre.
    const ras = sourceIjkToRas(sourceIjk, source.ijkToRas);
    const n = source.data.length, m = out.length;
    const data = new Float32Array(3 * m);
    for (let c = 0; c < 3; c++) data.set(resampleToSpacing({ dims, ijkToRas: source.ijkToRas, data: ras.subarray(c * n, (c + 1) * n) }, target, 'linear').data, c * m);
    coordsRas = { dims: outDims, ijkToRas: image.ijkToRas, data };
  }

  // Bias field, then correlated noise (white noise blurred in-plane, rescaled to the drawn sd).
  addSmoothField(rng, out, outDims, target, 120, s.biasSdHu);
  const noise = new Float32Array(out.length);
  for (let n = 0; n < noise.length; n++) noise[n] = nextNormal(rng);
  const corr = s.noiseCorrelationMm;
  gaussianBlur(noise, outDims, [corr / target[0], corr / target[1], 0]);
  const gain = s.noiseSdHu / standardDeviation(noise);
  const ct = new Int16Array(out.length);
  for (let n = 0; n < out.length; n++) {
    const v = Math.round(out[n]! + gain * noise[n]!);
    ct[n] = v < HU_MIN ? HU_MIN : v > HU_MAX ? HU_MAX : v;
  }
  return { image: { dims: outDims, ijkToRas: image.ijkToRas, data: ct }, labels, ...(coordsRas ? { coordsRas } : {}), params };
}

function toBtcv(labels: Uint8Array, vocabulary: ClassVocabulary): Uint8Array {
  const lut = Uint8Array.from(classTable(vocabulary), (c) => c.btcv);
  const out = new Uint8Array(labels.length);
  for (let n = 0; n < labels.length; n++) out[n] = lut[labels[n]!]!;
  return out;
}

function standardDeviation(x: Float32Array): number {
  let s = 0, s2 = 0;
  for (let n = 0; n < x.length; n++) { s += x[n]!; s2 += x[n]! * x[n]!; }
  const mean = s / Math.max(1, x.length);
  const sd = Math.sqrt(Math.max(0, s2 / Math.max(1, x.length) - mean * mean));
  if (!(sd > 0)) throw new PreprocessError('synth: degenerate noise field (a volume of one voxel?)');
  return sd;
}

/** Mean HU per tissue + texture, with kidney cortex/medulla, bone cortex, hollow-organ walls, gas and fluid. */
function paintTissues(
  deformed: Uint8Array, regions: Uint8Array, dims: Dims3, spacing: Dims3,
  texture: Float32Array, gas: Float32Array, mix: Float32Array, params: SynthParams,
): Float32Array {
  const table = classTable(params.vocabulary);
  const tissueOf = Uint8Array.from(table, (c) => TISSUE_INDEX[c.tissue]);
  const inPlane = Math.min(spacing[0], spacing[1]);
  const cortexLayers = Math.max(1, Math.round(5 / inPlane));
  const depth = labelDepth(deformed, dims, Math.max(cortexLayers + 1, 3));
  const { mean, textureSd } = params.intensities;
  const meanOf = Float32Array.from(HU_KEYS, (k) => mean[k]);
  const keyIndex = Object.fromEntries(HU_KEYS.map((k, n) => [k, n])) as Record<HuKey, number>;
  const textured = Uint8Array.from(HU_KEYS, (k) => (UNTEXTURED.has(k) ? 0 : 1));
  const T = TISSUE_INDEX;
  const hollow = new Set<number>([T.stomach, T.bowel, T.colon]);
  const hu = new Float32Array(deformed.length);
  for (let n = 0; n < deformed.length; n++) {
    const region = regions[n]!;
    let key: number;
    if (region === REGION_AIR) key = keyIndex.air;
    else if (region === REGION_FAT) key = keyIndex.fat;
    else if (region === REGION_WALL) key = keyIndex.muscle;
    else if (region === REGION_INTERIOR) key = mix[n]! > params.interiorSoftThreshold ? keyIndex.body : keyIndex.bowel;
    else {
      const tissue = tissueOf[deformed[n]!]!;
      const d = depth[n]!;
      if (tissue === T.kidney) key = d <= cortexLayers ? keyIndex.kidney : keyIndex.kidneyMedulla;
      else if (tissue === T.bone) key = d === 1 ? keyIndex.boneCortex : keyIndex.bone;
      else if (hollow.has(tissue) && d > 1) {
        // Lumen: gas where the gas field is high (colon holds more gas than stomach and small bowel), else fluid.
        const threshold = params.gasThreshold - (tissue === T.colon ? 0.6 : 0);
        key = gas[n]! > threshold ? keyIndex.gas : keyIndex.fluid;
      } else key = keyIndex[tissueKey(tissue)];
    }
    hu[n] = meanOf[key]! + (textured[key] ? textureSd * texture[n]! : 0);
  }
  return hu;
}

const TISSUE_BY_INDEX = Object.keys(TISSUE_INDEX) as Tissue[];
function tissueKey(index: number): HuKey {
  return TISSUE_BY_INDEX[index]!;
}
