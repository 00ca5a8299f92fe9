// Can a label map be shown over an image? Same grid: drawn voxel for voxel. Different grid but overlapping in
// world space: NiiVue resamples it through both affines (placed by its affine). No overlap, or not a 3D label map:
// refused, with a message that says what differs.
import { ijkToRasMm, type Mat4RowMajor } from './slices.js';

export interface GridGeometry {
  readonly dims: readonly number[];
  readonly ijkToRas: Mat4RowMajor;
}

export type OverlayPlacement =
  | { readonly kind: 'same-grid' }
  | { readonly kind: 'by-affine'; readonly note: string }
  | { readonly kind: 'refused'; readonly message: string };

/** Tolerance for "the same affine": a hundredth of a millimetre per matrix entry. */
const AFFINE_TOLERANCE_MM = 1e-2;

export function sameGrid(a: GridGeometry, b: GridGeometry): boolean {
  const dimsEqual = [0, 1, 2].every((i) => (a.dims[i] ?? 1) === (b.dims[i] ?? 1));
  return dimsEqual && a.ijkToRas.every((v, i) => Math.abs(v - (b.ijkToRas[i] as number)) <= AFFINE_TOLERANCE_MM);
}

/** World-space axis-aligned box (mm) covered by the voxel centres, padded by half a voxel. */
export function worldBox(g: GridGeometry): { min: [number, number, number]; max: [number, number, number] } {
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let corner = 0; corner < 8; corner++) {
    const ijk = [0, 1, 2].map((a) => ((corner >> a) & 1 ? (g.dims[a] ?? 1) - 0.5 : -0.5));
    const p = ijkToRasMm(g.ijkToRas, ijk);
    for (let a = 0; a < 3; a++) {
      min[a] = Math.min(min[a] as number, p[a] as number);
      max[a] = Math.max(max[a] as number, p[a] as number);
    }
  }
  return { min, max };
}

/** Fraction (0..1) of the overlay's world box that lies inside the image's world box. */
export function overlapFraction(image: GridGeometry, overlay: GridGeometry): number {
  const a = worldBox(image);
  const b = worldBox(overlay);
  let inside = 1;
  let total = 1;
  for (let i = 0; i < 3; i++) {
    const lo = Math.max(a.min[i] as number, b.min[i] as number);
    const hi = Math.min(a.max[i] as number, b.max[i] as number);
    inside *= Math.max(0, hi - lo);
    total *= Math.max(1e-9, (b.max[i] as number) - (b.min[i] as number));
  }
  return inside / total;
}

/**
 * Decides how to place `overlay` over `image`. `overlayName`/`imageName` only make the message readable.
 * Refuses a 4D overlay (a label map has one frame) and an overlay that lies entirely outside the image.
 */
export function placeOverlay(image: GridGeometry, overlay: GridGeometry, imageName = 'the image', overlayName = 'the overlay'): OverlayPlacement {
  const frames = overlay.dims.slice(3).reduce((p, d) => p * Math.max(1, d), 1);
  if (frames > 1) {
    return { kind: 'refused', message: `${overlayName} has ${frames} frames; a label overlay must be a single 3D volume.` };
  }
  if (sameGrid(image, overlay)) return { kind: 'same-grid' };
  const fraction = overlapFraction(image, overlay);
  const dims = (g: GridGeometry): string => g.dims.slice(0, 3).join('x');
  if (fraction <= 0) {
    const box = (g: GridGeometry): string => {
      const b = worldBox(g);
      return b.min.map((v, i) => `${v.toFixed(0)}..${(b.max[i] as number).toFixed(0)}`).join(', ');
    };
    return {
      kind: 'refused',
      message:
        `${overlayName} (${dims(overlay)}) does not overlap ${imageName} (${dims(image)}) in world space: ` +
        `its box is [${box(overlay)}] mm, the image's is [${box(image)}] mm. Check that both headers describe the same scan.`,
    };
  }
  const pct = Math.round(fraction * 100);
  return {
    kind: 'by-affine',
    note: `${overlayName} is on a different grid (${dims(overlay)} vs ${dims(image)}); placed by its affine, ${pct}% of it inside the image.`,
  };
}
