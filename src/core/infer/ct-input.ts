/**
 * Can this volume be segmented honestly by a model trained on CT? The checks `segment` runs on the decoded input
 * before any window reaches the network, each with the reason a person can act on. A model given a 2-D slice, one
 * frame of an fMRI, a label map, an MRI or NaN voxels still produces a label map, and exit 0 on nonsense is worse
 * than a refusal (`--force` overrides). One pass over the voxels, no allocation per voxel.
 */

/** What the checks read of a decoded volume (a NiftiImage fits). */
export interface CtInputFacts {
  /** Spatial size i, j, k. */
  readonly dims: readonly [number, number, number];
  /** 3-D frames in the file (beyond the spatial three). */
  readonly frames: number;
  /** Scaled voxel values (Hounsfield units for a CT). */
  readonly data: ArrayLike<number>;
}

/** Below this many HU there is air or lung: every body CT's field of view has some. */
export const CT_AIR_BELOW_HU = -200;
/** At most this many distinct small non-negative integers and no fractions: a label map, not intensities. */
export const LABEL_MAP_MAX_DISTINCT = 128;

export interface CtInputStats {
  readonly min: number;
  readonly max: number;
  readonly nonFinite: number;
  /** Distinct values when every finite value is an integer in 0..255; -1 otherwise. */
  readonly smallIntegerDistinct: number;
}

/** One pass: finite range, NaN/Inf count, and whether the values are few small non-negative integers. */
export function ctInputStats(data: ArrayLike<number>): CtInputStats {
  let min = Infinity, max = -Infinity, nonFinite = 0, smallIntegers = true;
  const seen = new Uint8Array(256);
  for (let n = 0; n < data.length; n++) {
    const v = data[n]!;
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    if (smallIntegers) {
      if (v >= 0 && v <= 255 && Math.floor(v) === v) seen[v] = 1;
      else smallIntegers = false;
    }
  }
  let distinct = 0;
  if (smallIntegers) for (const s of seen) distinct += s;
  return { min, max, nonFinite, smallIntegerDistinct: smallIntegers ? distinct : -1 };
}

const round = (v: number): number => Number(v.toFixed(1));

/**
 * Why `image` is not a CT volume this model can segment, one clause per problem; empty when it is fine. `stats`: its
 * ctInputStats when the caller has them already (segment reads the lowest value again for its warnings).
 */
export function ctInputProblems(image: CtInputFacts, stats?: CtInputStats): string[] {
  const problems: string[] = [];
  const [ni, nj, nk] = image.dims;
  if (image.frames > 1) problems.push(`it has ${image.frames} frames (4-D, e.g. a time series or fMRI), not one CT volume`);
  const spatial = image.dims.filter((d) => d > 1).length;
  if (spatial < 3) problems.push(`it is ${spatial}-D after dropping size-1 dimensions (${ni}x${nj}x${nk}), not a 3-D volume`);
  const s = stats ?? ctInputStats(image.data);
  if (s.nonFinite > 0) problems.push(`${s.nonFinite} of ${image.data.length} voxels are NaN or infinite`);
  if (s.nonFinite === image.data.length) return problems;
  if (s.smallIntegerDistinct >= 0 && s.smallIntegerDistinct <= LABEL_MAP_MAX_DISTINCT) {
    problems.push(`it looks like a label map (${s.smallIntegerDistinct} distinct integer values in ${s.min}..${s.max}), not a CT`);
  } else if (!(s.min < CT_AIR_BELOW_HU)) {
    problems.push(`its intensities ${round(s.min)}..${round(s.max)} are not CT Hounsfield units (nothing below ${CT_AIR_BELOW_HU} HU, no air: an MRI or PET, or a CT without its rescale intercept)`);
  }
  return problems;
}
