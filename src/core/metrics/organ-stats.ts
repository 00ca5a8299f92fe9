/**
 * Per-organ numbers of a label map over its image: how many voxels, the volume in millilitres (voxel count x the
 * voxel volume from the affine), the mean image value inside (HU for a CT) and, from `segment`, the model's
 * confidence. `segment --json` reports them and the viewer shows them as its organ table.
 */
import { PreprocessError } from '../preprocess/grid.js';
import { mat3Determinant, type Mat4 } from '../volume/mat4.js';

export interface OrganStat {
  /** The label value in the map (1..255). */
  readonly label: number;
  readonly name: string;
  readonly voxels: number;
  readonly volumeMl: number;
  /** Mean image value inside the organ (HU for a CT). */
  readonly meanValue: number;
  /**
   * `segment` only: the mean predicted probability of the organ's class over its voxels on the model's working grid
   * (core/infer/confidence.ts), in [0, 1]. The model's own score: low means unsure, high is not a calibrated
   * probability of being right.
   */
  readonly confidence?: number;
}

/** Volume of one voxel in mm³: |det| of the affine's 3x3 part (spacing and any shear or rotation included). */
export function voxelVolumeMm3(ijkToRas: Mat4): number {
  return Math.abs(mat3Determinant(ijkToRas));
}

/** The rows with `confidence` set from a label -> mean probability map (rows whose label it lacks stay as they are). */
export function withConfidence(stats: readonly OrganStat[], confidence: ReadonlyMap<number, number>): OrganStat[] {
  return stats.map((s) => {
    const c = confidence.get(s.label);
    return c === undefined ? s : { ...s, confidence: c };
  });
}

/**
 * One row per label value present (background 0 left out), in label order. `labels` and `image` share one grid
 * (same length, same voxel order); `nameOf` names a label (unknown ones get `label N`).
 */
export function organStats(labels: Uint8Array, image: ArrayLike<number>, ijkToRas: Mat4, nameOf: (label: number) => string | undefined): OrganStat[] {
  if (labels.length !== image.length) throw new PreprocessError(`organStats: the label map has ${labels.length} voxels, the image ${image.length}`);
  const count = new Float64Array(256), sum = new Float64Array(256);
  for (let n = 0; n < labels.length; n++) {
    const v = labels[n]!;
    count[v]!++;
    sum[v]! += image[n]!;
  }
  const mlPerVoxel = voxelVolumeMm3(ijkToRas) / 1000;
  const out: OrganStat[] = [];
  for (let v = 1; v < 256; v++) {
    const voxels = count[v]!;
    if (voxels === 0) continue;
    out.push({ label: v, name: nameOf(v) ?? `label ${v}`, voxels, volumeMl: voxels * mlPerVoxel, meanValue: sum[v]! / voxels });
  }
  return out;
}
