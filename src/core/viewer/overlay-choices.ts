// What "Open Label Overlay…" offers, in order: NIfTI files on the image's grid first, then files placed by their
// affine, then those that cannot be shown over it (no overlap, several frames, unreadable header); never the image
// itself; and last a "Browse…" entry for files elsewhere. Pure: the host reads the headers, this decides the order.
import { isNiftiName, niftiStem, looksLikeSegmentation } from './siblings.js';
import { placeOverlay, type GridGeometry } from './overlay-grid.js';

/** A file the picker could offer: its path (any separator style, compared as given) and its header grid. */
export interface OverlayCandidate {
  readonly path: string;
  /** The header's grid, or why it could not be read. */
  readonly grid: GridGeometry | { readonly error: string };
}

/** How a file would go over the image. */
export type OverlayFit = 'same-grid' | 'by-affine' | 'refused' | 'unreadable';

export type OverlayChoice =
  | { readonly kind: 'file'; readonly path: string; readonly fit: OverlayFit; /** Why, for the picker's detail line. */ readonly reason: string }
  | { readonly kind: 'browse' };

const FIT_ORDER: Record<OverlayFit, number> = { 'same-grid': 0, 'by-affine': 1, refused: 2, unreadable: 3 };

const baseName = (p: string): string => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);
const dirName = (p: string): string => p.slice(0, Math.max(0, Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'))));

/**
 * Orders `candidates` for an image at `imagePath` with grid `image`. Within one fit: files named like
 * segmentations first, then files in the image's folder, then those sharing its stem, then by path.
 * Non-NIfTI files and the image itself are left out; `{ kind: 'browse' }` always comes last.
 */
export function rankOverlayChoices(imagePath: string, image: GridGeometry, candidates: readonly OverlayCandidate[]): OverlayChoice[] {
  const imageName = baseName(imagePath);
  const imageDir = dirName(imagePath);
  const stem = niftiStem(imageName).toLowerCase();
  const seen = new Set<string>();
  const files = candidates
    .filter((c) => c.path !== imagePath && isNiftiName(baseName(c.path)) && !seen.has(c.path) && (seen.add(c.path), true))
    .map((c) => {
      const name = baseName(c.path);
      let fit: OverlayFit;
      let reason: string;
      if ('error' in c.grid) {
        fit = 'unreadable';
        reason = `header unreadable: ${c.grid.error}`;
      } else {
        const placement = placeOverlay(image, c.grid, imageName, name);
        fit = placement.kind;
        reason = placement.kind === 'same-grid' ? `same grid as ${imageName}` : placement.kind === 'by-affine' ? placement.note : placement.message;
      }
      const keys = [
        FIT_ORDER[fit],
        looksLikeSegmentation(name) ? 0 : 1,
        dirName(c.path) === imageDir ? 0 : 1,
        niftiStem(name).toLowerCase().startsWith(stem) ? 0 : 1,
      ];
      return { choice: { kind: 'file', path: c.path, fit, reason } as const, keys };
    });
  files.sort((a, b) => {
    for (let i = 0; i < a.keys.length; i++) {
      const d = (a.keys[i] as number) - (b.keys[i] as number);
      if (d !== 0) return d;
    }
    return a.choice.path.localeCompare(b.choice.path);
  });
  return [...files.map((f) => f.choice), { kind: 'browse' }];
}
