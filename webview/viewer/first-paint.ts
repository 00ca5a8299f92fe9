// The first picture: the host's three centre slices drawn on a plain 2D canvas (no WebGL, a few ms) while NiiVue
// builds its textures. Same orientation and window as the full viewer, so the swap is seamless.
import { greyLevel, type DisplayRange } from '../../src/core/viewer/window.js';
import type { Layout, SlicePayload } from '../../src/protocol/viewer.js';

const GAP_PX = 4;

export function drawFirstPaint(
  canvas: HTMLCanvasElement,
  slices: readonly SlicePayload[],
  view: { readonly layout: Layout; readonly window: DisplayRange; readonly radiological: boolean },
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
  // Cells in mm, placed like NiiVue's multiplanar grid: coronal | sagittal over axial | (empty).
  const cells: { slice: SlicePayload; col: number; row: number }[] =
    view.layout === 'multiplanar'
      ? (
          [
            ['coronal', 0, 0],
            ['sagittal', 1, 0],
            ['axial', 0, 1],
          ] as const
        ).flatMap(([plane, col, row]) => {
          const slice = byPlane.get(plane);
          return slice ? [{ slice, col, row }] : [];
        })
      : byPlane.has(view.layout) ? [{ slice: byPlane.get(view.layout) as SlicePayload, col: 0, row: 0 }] : [];
  if (cells.length === 0) return;
  const mmW = (s: SlicePayload): number => s.width * s.pixelMm[0];
  const mmH = (s: SlicePayload): number => s.height * s.pixelMm[1];
  const colW = [0, 1].map((c) => Math.max(0, ...cells.filter((x) => x.col === c).map((x) => mmW(x.slice))));
  const rowH = [0, 1].map((r) => Math.max(0, ...cells.filter((x) => x.row === r).map((x) => mmH(x.slice))));
  const gap = GAP_PX * dpr;
  const nCols = colW.filter((w) => w > 0).length;
  const nRows = rowH.filter((h) => h > 0).length;
  const scale = Math.min((canvas.width - gap * (nCols - 1)) / ((colW[0] as number) + (colW[1] as number)), (canvas.height - gap * (nRows - 1)) / ((rowH[0] as number) + (rowH[1] as number)));
  const totalW = ((colW[0] as number) + (colW[1] as number)) * scale + gap * (nCols - 1);
  const totalH = ((rowH[0] as number) + (rowH[1] as number)) * scale + gap * (nRows - 1);
  const x0 = (canvas.width - totalW) / 2;
  const y0 = (canvas.height - totalH) / 2;
  for (const { slice, col, row } of cells) {
    const w = mmW(slice) * scale;
    const hgt = mmH(slice) * scale;
    const x = x0 + (col === 0 ? 0 : (colW[0] as number) * scale + gap);
    const y = y0 + (row === 0 ? 0 : (rowH[0] as number) * scale + gap);
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
