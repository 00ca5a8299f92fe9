import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { extentRasMm, multiplanarLayout, planeExtentsMm, type MultiplanarLayout, type RectPx } from '../../../../src/core/viewer/multiplanar.js';

// The phantom: 160x128x64 voxels over 400x320x300 mm; a thin slab of it keeps 20 slices (20 * 300/64 mm).
const PHANTOM: [number, number, number] = [400, 320, 300];
const SLAB: [number, number, number] = [400, 320, (20 * 300) / 64];
// Editor-sized stages (a 3.2:1 stage cannot give a 1.25:1 axial tile half its area, whatever the layout).
const STAGES: [number, number][] = [[1200, 700], [900, 900], [700, 1000], [1000, 600]];

const area = (r: RectPx): number => r.w * r.h;
const overlap = (p: RectPx, q: RectPx): number =>
  Math.max(0, Math.min(p.x + p.w, q.x + q.w) - Math.max(p.x, q.x)) * Math.max(0, Math.min(p.y + p.h, q.y + q.h) - Math.max(p.y, q.y));
const tile = (l: MultiplanarLayout, plane: string): RectPx => l.tiles.find((t) => t.plane === plane)!.rect;

function checkGeometry(l: MultiplanarLayout, W: number, H: number, extent: [number, number, number]): void {
  const mm = planeExtentsMm(extent);
  assert.equal(l.tiles.length, 3);
  for (const t of l.tiles) {
    const { x, y, w, h } = t.rect;
    assert.ok(x >= -1e-6 && y >= -1e-6 && x + w <= W + 1e-6 && y + h <= H + 1e-6, `${t.plane} inside the stage: ${JSON.stringify(t.rect)}`);
    const [mw, mh] = mm[t.plane];
    assert.ok(Math.abs(w / h - mw / mh) < 1e-6, `${t.plane} keeps its physical aspect ${mw}/${mh}, got ${w}/${h}`);
  }
  const rects = [...l.tiles.map((t) => t.rect), ...(l.free ? [l.free] : [])];
  for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) assert.ok(overlap(rects[i]!, rects[j]!) < 1e-6, `rects ${i} and ${j} overlap`);
}

test('a thin slab (20 slices): the axial tile gets more than half the stage, the free strip is left for the legend', () => {
  for (const [W, H] of STAGES) {
    const l = multiplanarLayout(W, H, SLAB);
    checkGeometry(l, W, H, SLAB);
    assert.notEqual(l.arrangement, 'grid');
    const share = area(tile(l, 'axial')) / (W * H);
    assert.ok(share > 0.5, `${W}x${H}: axial ${(share * 100).toFixed(1)}% of the stage (${l.arrangement})`);
    assert.ok(l.free && area(l.free) > 0.05 * W * H, `${W}x${H}: free area ${l.free ? area(l.free) : 0}`);
  }
});

test('thin slab: coronal and sagittal share one scale (their S axes line up)', () => {
  const l = multiplanarLayout(1200, 700, SLAB);
  assert.ok(Math.abs(tile(l, 'coronal').h - tile(l, 'sagittal').h) < 1e-6);
  assert.ok(Math.abs(tile(l, 'coronal').w / 400 - tile(l, 'sagittal').w / 320) < 1e-9);
});

test('a full volume keeps the grid with one mm scale for all tiles and the fourth quadrant free', () => {
  for (const [W, H] of STAGES) {
    const l = multiplanarLayout(W, H, PHANTOM);
    checkGeometry(l, W, H, PHANTOM);
    assert.equal(l.arrangement, 'grid');
    const scales = [tile(l, 'axial').w / 400, tile(l, 'coronal').w / 400, tile(l, 'sagittal').w / 320];
    for (const s of scales) assert.ok(Math.abs(s - scales[0]!) < 1e-9, `one scale: ${scales}`);
    assert.ok(l.free && l.free.x >= tile(l, 'axial').x + tile(l, 'axial').w && l.free.y >= tile(l, 'sagittal').y + tile(l, 'sagittal').h);
    // The grid fills the stage along one side.
    const used = l.tiles.map((t) => t.rect);
    const width = Math.max(...used.map((r) => r.x + r.w)) - Math.min(...used.map((r) => r.x));
    const height = Math.max(...used.map((r) => r.y + r.h)) - Math.min(...used.map((r) => r.y));
    assert.ok(Math.abs(width - W) < 1e-6 || Math.abs(height - H) < 1e-6, `${W}x${H}: grid ${width}x${height}`);
  }
});

test('a very wide stage still keeps aspects and the axial tile at full height', () => {
  const l = multiplanarLayout(1600, 500, SLAB);
  checkGeometry(l, 1600, 500, SLAB);
  assert.ok(Math.abs(tile(l, 'axial').h - 500) < 1e-6);
});

test('extentRasMm follows the axis map of an LPS affine with anisotropic spacing', () => {
  // i runs to the left (2.5 mm), j posterior (2.5 mm), k superior (300/64 mm): the phantom's LPS grid.
  const lps = [-2.5, 0, 0, 0, 0, -2.5, 0, 0, 0, 0, 300 / 64, 0, 0, 0, 0, 1];
  assert.deepEqual(extentRasMm([160, 128, 20], lps), [400, 320, (20 * 300) / 64]);
  // Axes permuted: voxel i along S, j along R, k along A.
  const permuted = [0, 2, 0, 0, 0, 0, 3, 0, 1, 0, 0, 0, 0, 0, 0, 1];
  assert.deepEqual(extentRasMm([10, 20, 30], permuted), [40, 90, 10]);
});

test('an empty stage gives no tiles', () => {
  assert.deepEqual(multiplanarLayout(0, 500, PHANTOM).tiles, []);
});
