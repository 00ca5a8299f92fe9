// Where the three planes go in the multiplanar view, sized by the volume's physical extent (mm), and which part of
// the stage is left free for the legend. One function for the first paint (2D canvas) and for NiiVue (custom
// layout), so both pictures match.
//
// A fixed 2x2 grid, NiiVue's own, fails thin volumes: 20 slices make coronal and sagittal 40 px strips, and the
// axial tile is limited by them, half blank. So a volume whose S extent is under half its in-plane extents gets the
// axial view large (left or top, whichever shows it bigger) and coronal and sagittal side by side or stacked in the
// remaining strip; the rest of that strip is the free area.

import { rasAxisMap, voxelSpacing, type Mat4RowMajor, type Plane } from './slices.js';

/** A rectangle in CSS pixels of the stage, origin top left. */
export interface RectPx {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface Tile {
  readonly plane: Plane;
  readonly rect: RectPx;
}

export type Arrangement = 'grid' | 'axial-left' | 'axial-top';

export interface MultiplanarLayout {
  readonly arrangement: Arrangement;
  readonly tiles: readonly Tile[];
  /** The largest area no tile uses (for the legend), or null when none is left. */
  readonly free: RectPx | null;
}

/** Gap between tiles (CSS px). */
export const TILE_GAP_PX = 4;
/** S extent below this fraction of the smaller in-plane extent makes a volume "thin". */
const THIN_RATIO = 0.5;
/** In the thin arrangements the axial tile leaves at least this fraction of the stage's width or height (coronal and sagittal stay legible). */
const STRIP_MIN_FRACTION = 0.3;

/** Each plane's size in mm on screen (width, height): axial R x A, coronal R x S, sagittal A x S. */
export function planeExtentsMm(extentRasMm: readonly [number, number, number]): Record<Plane, [number, number]> {
  const [r, a, s] = extentRasMm;
  return { axial: [r, a], coronal: [r, s], sagittal: [a, s] };
}

/** A volume's extent along R, A, S in mm: voxel count times spacing of the voxel axis nearest each world axis. */
export function extentRasMm(dims: readonly number[], ijkToRas: Mat4RowMajor): [number, number, number] {
  const map = rasAxisMap(ijkToRas);
  const spacing = voxelSpacing(ijkToRas);
  return map.voxelAxis.map((vox) => (dims[vox] ?? 1) * (spacing[vox] as number)) as [number, number, number];
}

/**
 * Lays the three planes out on a `stageW` x `stageH` stage. Every tile keeps its plane's physical aspect ratio.
 * In the grid all tiles share one scale (mm to px); in the thin arrangements coronal and sagittal share one.
 */
export function multiplanarLayout(stageW: number, stageH: number, extentMm: readonly [number, number, number], gap = TILE_GAP_PX): MultiplanarLayout {
  const [r, a, s] = extentMm.map((v) => Math.max(v, 1e-6)) as [number, number, number];
  if (stageW <= 0 || stageH <= 0) return { arrangement: 'grid', tiles: [], free: null };
  if (s >= THIN_RATIO * Math.min(r, a)) return gridLayout(stageW, stageH, r, a, s, gap);
  const left = axialLeft(stageW, stageH, r, a, s, gap);
  const top = axialTop(stageW, stageH, r, a, s, gap);
  return area(tileOf(left, 'axial')) >= area(tileOf(top, 'axial')) ? left : top;
}

/** The stage for one plane (fitted, centred) or for all three (`multiplanarLayout`). */
export function stageLayout(stageW: number, stageH: number, extentMm: readonly [number, number, number], layout: Plane | 'multiplanar'): MultiplanarLayout {
  if (layout === 'multiplanar') return multiplanarLayout(stageW, stageH, extentMm);
  if (stageW <= 0 || stageH <= 0) return { arrangement: 'grid', tiles: [], free: null };
  const [w, h] = planeExtentsMm(extentMm)[layout].map((v) => Math.max(v, 1e-6)) as [number, number];
  const scale = Math.min(stageW / w, stageH / h);
  return { arrangement: 'grid', tiles: [{ plane: layout, rect: rect((stageW - w * scale) / 2, (stageH - h * scale) / 2, w * scale, h * scale) }], free: null };
}

/** Coronal | sagittal over axial | free: NiiVue's grid, but columns and rows sized in mm. */
function gridLayout(W: number, H: number, r: number, a: number, s: number, gap: number): MultiplanarLayout {
  const scale = Math.min((W - gap) / (r + a), (H - gap) / (s + a));
  const x0 = (W - (r + a) * scale - gap) / 2;
  const y0 = (H - (s + a) * scale - gap) / 2;
  const col1 = x0 + r * scale + gap;
  const row1 = y0 + s * scale + gap;
  const tiles: Tile[] = [
    { plane: 'coronal', rect: rect(x0, y0, r * scale, s * scale) },
    { plane: 'sagittal', rect: rect(col1, y0, a * scale, s * scale) },
    { plane: 'axial', rect: rect(x0, row1, r * scale, a * scale) },
  ];
  return { arrangement: 'grid', tiles, free: nonEmpty(rect(col1, row1, W - col1, H - row1)) };
}

/** Axial on the left at full height; coronal over sagittal at the top of the right strip; below them free. */
function axialLeft(W: number, H: number, r: number, a: number, s: number, gap: number): MultiplanarLayout {
  const axScale = Math.min(H / a, (W * (1 - STRIP_MIN_FRACTION) - gap) / r);
  const axW = r * axScale;
  const stripX = axW + gap;
  const stripW = W - stripX;
  const scale = Math.min(stripW / Math.max(r, a), (H - gap) / (2 * s));
  const corH = s * scale;
  const tiles: Tile[] = [
    { plane: 'axial', rect: rect(0, (H - a * axScale) / 2, axW, a * axScale) },
    { plane: 'coronal', rect: rect(stripX, 0, r * scale, corH) },
    { plane: 'sagittal', rect: rect(stripX, corH + gap, a * scale, corH) },
  ];
  const freeY = 2 * corH + 2 * gap;
  const pairRight = stripX + Math.max(r, a) * scale + gap;
  return { arrangement: 'axial-left', tiles, free: largest([rect(stripX, freeY, stripW, H - freeY), rect(pairRight, 0, W - pairRight, freeY)]) };
}

/** Axial on top at full width; coronal and sagittal side by side below it; right of them free. */
function axialTop(W: number, H: number, r: number, a: number, s: number, gap: number): MultiplanarLayout {
  const axScale = Math.min(W / r, (H * (1 - STRIP_MIN_FRACTION) - gap) / a);
  const axH = a * axScale;
  const stripY = axH + gap;
  const stripH = H - stripY;
  const scale = Math.min(stripH / s, (W - gap) / (r + a));
  const corW = r * scale;
  const tiles: Tile[] = [
    { plane: 'axial', rect: rect((W - r * axScale) / 2, 0, r * axScale, axH) },
    { plane: 'coronal', rect: rect(0, stripY, corW, s * scale) },
    { plane: 'sagittal', rect: rect(corW + gap, stripY, a * scale, s * scale) },
  ];
  const freeX = corW + gap + a * scale + gap;
  const pairBottom = stripY + s * scale + gap;
  return { arrangement: 'axial-top', tiles, free: largest([rect(freeX, stripY, W - freeX, stripH), rect(0, pairBottom, freeX, H - pairBottom)]) };
}

function rect(x: number, y: number, w: number, h: number): RectPx {
  return { x, y, w: Math.max(0, w), h: Math.max(0, h) };
}

function nonEmpty(r: RectPx): RectPx | null {
  return r.w >= 1 && r.h >= 1 ? r : null;
}

function largest(candidates: readonly RectPx[]): RectPx | null {
  const best = candidates.filter((c) => c.w >= 1 && c.h >= 1).sort((p, q) => area(q) - area(p))[0];
  return best ?? null;
}

function tileOf(layout: MultiplanarLayout, plane: Plane): RectPx {
  return (layout.tiles.find((t) => t.plane === plane) as Tile).rect;
}

function area(r: RectPx): number {
  return r.w * r.h;
}
