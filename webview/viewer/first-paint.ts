// The first picture: the host's three centre slices drawn on a plain 2D canvas (no WebGL, a few ms) while NiiVue
// builds its textures. Same orientation, window and tiles (core/viewer/multiplanar) as the full viewer, so the swap
// is seamless.
import { greyLevel, type DisplayRange } from '../../src/core/viewer/window.js';
import type { Tile } from '../../src/core/viewer/multiplanar.js';
import type { SlicePayload } from '../../src/protocol/viewer.js';

/** Draws each slice into its tile (CSS px of the canvas). */
export function drawFirstPaint(
  canvas: HTMLCanvasElement,
  slices: readonly SlicePayload[],
  tiles: readonly Tile[],
  view: { readonly window: DisplayRange; readonly radiological: boolean },
  background: string,
): void {
  const rect = canvas.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(rect.width * dpr));
  canvas.height = Math.max(1, Math.round(rect.height * dpr));
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const byPlane = new Map(slices.map((s) => [s.plane, s]));
  for (const { plane, rect: r } of tiles) {
    const slice = byPlane.get(plane);
    if (!slice) continue;
    const [x, y, w, hgt] = [r.x * dpr, r.y * dpr, r.w * dpr, r.h * dpr];
    const tile = sliceBitmap(slice, view.window);
    ctx.save();
    // The host sends neurological slices; radiological mirrors axial and coronal left-right.
    if (view.radiological && slice.plane !== 'sagittal') {
      ctx.translate(x + w, y);
      ctx.scale(-1, 1);
      ctx.drawImage(tile, 0, 0, w, hgt);
    } else {
      ctx.drawImage(tile, x, y, w, hgt);
    }
    ctx.restore();
  }
}

function sliceBitmap(slice: SlicePayload, range: DisplayRange): HTMLCanvasElement {
  const values = new Float32Array(slice.pixels);
  const tile = document.createElement('canvas');
  tile.width = slice.width;
  tile.height = slice.height;
  const ctx = tile.getContext('2d');
  if (!ctx) return tile;
  const image = ctx.createImageData(slice.width, slice.height);
  const rgba = image.data;
  for (let i = 0; i < values.length; i++) {
    const g = greyLevel(values[i] as number, range);
    rgba[i * 4] = g;
    rgba[i * 4 + 1] = g;
    rgba[i * 4 + 2] = g;
    rgba[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return tile;
}
