// The volume viewer in a real workbench: opens a CT, checks the first paint and NiiVue's picture, the HU readout,
// that a window preset changes the pixels, and that a label overlay shows with its legend. Records load timings
// (test-results/viewer-timings.json) and screenshots.
import * as assert from 'node:assert/strict';
import { existsSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import type { E2eContext, E2eTest } from '../harness/e2e-api.js';
import { changedFraction, colouredFraction, decodePng, luminanceSpread, luminanceSpreadIn, type Pixels } from './viewer-png.js';
import { makePhantom } from '../../src/core/phantom/index.js';
import { writeNiftiFile } from '../../src/node/nifti/index.js';

const timings: Record<string, unknown> = {};
/** Only a hang fails the timing test; goals are the benchmark's (`npm run bench:viewer`). */
const FIRST_PAINT_SANITY_MS = 60_000;

function recordTiming(key: string, value: unknown): void {
  timings[key] = value;
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/viewer-timings.json', JSON.stringify(timings, null, 2) + '\n');
}

async function canvasPixels(frame: FrameLocator, selector: string): Promise<Pixels> {
  return decodePng(await frame.locator(selector).screenshot());
}

/** Milliseconds from `since` until the webview body carries `data-<phase>-ms` (set by the viewer). */
async function waitForPhase(frame: FrameLocator, phase: 'first-paint' | 'interactive' | 'overlay', since: number, timeoutMs: number): Promise<number> {
  await frame.locator(`body[data-${phase}-ms]`).waitFor({ state: 'attached', timeout: timeoutMs });
  return Date.now() - since;
}

async function waitForChange(frame: FrameLocator, before: Pixels, timeoutMs: number): Promise<{ pixels: Pixels; fraction: number }> {
  const deadline = Date.now() + timeoutMs;
  let last = { pixels: before, fraction: 0 };
  while (Date.now() < deadline) {
    const pixels = await canvasPixels(frame, '#gl');
    last = { pixels, fraction: changedFraction(before, pixels) };
    if (last.fraction > 0.02) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  return last;
}

async function openCt(ctx: E2eContext): Promise<{ frame: FrameLocator; name: string; isExample: boolean }> {
  const file = ctx.workspace.files.exampleCt ?? ctx.workspace.files.phantomCt;
  if (!file) return ctx.skip('no CT in the test workspace (../shared/data absent and no phantom generator)');
  const { frame, name } = await openVolume(ctx, file);
  // These tests compare canvas pixels: the offer banner floats over the canvas, so it goes first.
  if ((await offerState(frame)) === 'shown') await frame.locator('#offer-banner .offer-dismiss').click();
  return { frame, name, isExample: file === ctx.workspace.files.exampleCt };
}

/** What became of the sibling offer (`data-overlay-offer`): it comes from the host shortly after the volume loads. */
async function offerState(frame: FrameLocator): Promise<string> {
  await frame.locator('body[data-overlay-offer]').waitFor({ state: 'attached', timeout: 30_000 });
  return (await frame.locator('body').getAttribute('data-overlay-offer')) ?? '';
}

/** Opens `file` (top level of the workspace) with a double-click, waits until NiiVue is interactive. */
async function openVolume(ctx: E2eContext, file: string): Promise<{ frame: FrameLocator; name: string }> {
  await ctx.workbench.closeAllEditors();
  const name = path.basename(file);
  await ctx.page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 30_000 });
  const t0 = Date.now();
  await ctx.workbench.openFileFromExplorer(name);
  let frame: FrameLocator;
  try {
    frame = await ctx.workbench.webviewFrame(15_000);
  } catch {
    // Known workbench race: a double-click before the extension's editors are registered opens the text editor.
    ctx.log('the double-click opened another editor; reopening with the AnaDiff viewer');
    await ctx.workbench.reopenWith('AnaDiff Volume Viewer');
    frame = await ctx.workbench.webviewFrame(60_000);
  }
  const firstPaint = await waitForPhase(frame, 'first-paint', t0, 60_000);
  const interactive = await waitForPhase(frame, 'interactive', t0, 120_000);
  ctx.log(`${name}: first slices after ${firstPaint} ms, interactive after ${interactive} ms (from the double-click)`);
  recordTiming(name, { firstPaintMs: firstPaint, interactiveMs: interactive });
  return { frame, name };
}

interface TileRect { plane: string; x: number; y: number; w: number; h: number }

async function tilesOf(frame: FrameLocator): Promise<{ arrangement: string; tiles: TileRect[] }> {
  const body = frame.locator('body');
  return { arrangement: (await body.getAttribute('data-arrangement')) ?? '', tiles: JSON.parse((await body.getAttribute('data-tiles')) ?? '[]') as TileRect[] };
}

/** The phantom cropped to 20 slices (a thin slab), written next to it once; its S extent is 94 mm of 300. */
async function thinSlab(ctx: E2eContext): Promise<string> {
  const file = path.join(ctx.workspace.dir, 'thin_slab_ct.nii.gz');
  if (existsSync(file)) return file;
  const { image, description } = makePhantom({ size: 'small', seed: 1 });
  const [nx, ny] = image.dims;
  const [k0, nk] = [22, 20];
  const data = image.data.slice(nx * ny * k0, nx * ny * (k0 + nk));
  const m = image.ijkToRas;
  // The slab's voxel (0, 0, 0) is the phantom's (0, 0, k0): only the translation column moves.
  const ijkToRas = m.map((v, i) => (i % 4 === 3 && i < 12 ? v + (m[i - 1] as number) * k0 : v));
  await writeNiftiFile(file, { dims: [nx, ny, nk], ijkToRas, data }, { description: `${description}, slices ${k0}..${k0 + nk - 1}` });
  return file;
}

/** A uint8 NIfTI-1 label map far outside any CT (no world overlap): the viewer must refuse it, saying why. */
function writeFarAwayLabelMap(file: string): void {
  const header = Buffer.alloc(352);
  header.writeInt32LE(348, 0);
  [3, 8, 8, 8, 1, 1, 1, 1].forEach((d, i) => header.writeInt16LE(d, 40 + i * 2));
  header.writeInt16LE(2, 70); // uint8
  header.writeInt16LE(8, 72);
  [1, 1, 1, 1].forEach((p, i) => header.writeFloatLE(p, 76 + i * 4));
  header.writeFloatLE(352, 108);
  header.writeFloatLE(1, 112);
  header.writeInt16LE(1, 254); // sform_code
  [1, 0, 0, 5000, 0, 1, 0, 5000, 0, 0, 1, 5000].forEach((v, i) => header.writeFloatLE(v, 280 + i * 4));
  header.write('n+1\0', 344, 'latin1');
  writeFileSync(file, Buffer.concat([header, Buffer.alloc(512, 1)]));
}

async function readoutValue(frame: FrameLocator): Promise<{ text: string; value: number }> {
  const readout = frame.locator('#readout');
  await readout.filter({ hasText: 'ijk' }).waitFor({ timeout: 10_000 });
  return { text: await readout.innerText(), value: Number(await readout.getAttribute('data-value')) };
}

/**
 * Runs `command`, filters its quick pick to `label` and accepts it. Retries the whole round: under load the quick
 * input can be swapped out between the command's row closing it and the next pick opening (CI saw a 30 s hang in fill).
 */
async function runCommandAndPick(ctx: E2eContext, command: string, label: string): Promise<void> {
  const page = ctx.page;
  let lastError: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    await ctx.workbench.runCommand(command);
    try {
      await page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().waitFor({ timeout: 10_000 });
      await page.locator('.quick-input-widget input').fill(label, { timeout: 5_000 });
      await page.keyboard.press('Enter');
      return;
    } catch (error) {
      lastError = error;
      ctx.log(`quick pick "${label}" not accepted (attempt ${attempt + 1}); retrying`);
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1_000);
    }
  }
  throw lastError;
}

export const tests: readonly E2eTest[] = [
  {
    name: 'viewer first visit: CT opens radiological, a banner offers its label map, Open shows BTCV names, letters >= 16 px',
    timeoutMs: 180_000,
    async run(ctx) {
      const ct = ctx.workspace.files.phantomCt;
      const seg = ctx.workspace.files.phantomSeg;
      if (!ct || !seg) return ctx.skip('no phantom in the test workspace');
      const { frame } = await openVolume(ctx, ct);
      // Offers go to the viewer's own banner, not to a toast that can land silently in the notification centre.
      assert.equal(await offerState(frame), 'shown', 'the sibling label map is offered');
      const banner = frame.locator('#offer-banner');
      await banner.waitFor({ state: 'visible', timeout: 5_000 });
      assert.match(await banner.innerText(), new RegExp(path.basename(seg).replace(/\./g, '\\.')));
      // anadiff.viewer.convention defaults to auto: radiological for CT.
      const radiological = await frame.locator('#radiological').evaluate((el: unknown) => (el as { checked: boolean }).checked);
      assert.equal(radiological, true, 'a CT opens in radiological convention');
      const letterPx = Number(await frame.locator('body').getAttribute('data-orientation-letter-px'));
      assert.ok(letterPx >= 16, `orientation letters are ${letterPx} CSS px (at least 16)`);
      await ctx.screenshot('first-visit-banner', { forDocs: true });
      const t0 = Date.now();
      await banner.locator('.offer-open').first().click();
      await waitForPhase(frame, 'overlay', t0, 60_000);
      await banner.waitFor({ state: 'hidden', timeout: 5_000 });
      const names = (await frame.locator('#legend .legend-name').allInnerTexts()).map((n) => n.trim());
      ctx.log(`legend: ${names.join(', ')}; legend in ${await frame.locator('#legend-panel').evaluate((el: unknown) => (el as { parentElement: { id: string } }).parentElement.id)}`);
      for (const organ of ['spleen', 'liver', 'left kidney', 'inferior vena cava']) assert.ok(names.includes(organ), `the legend names the ${organ}: ${names.join(', ')}`);
      assert.ok(!names.some((n) => /^label \d+$/.test(n)), `no generic names: ${names.join(', ')}`);
      // The legend never covers a tile: it sits in the free area of the grid or in the side panel.
      const { tiles } = await tilesOf(frame);
      const stage = await frame.locator('#stage').boundingBox();
      const legend = await frame.locator('#legend-panel').boundingBox();
      assert.ok(stage && legend);
      for (const t of tiles) {
        const overlapX = Math.min(stage.x + t.x + t.w, legend.x + legend.width) - Math.max(stage.x + t.x, legend.x);
        const overlapY = Math.min(stage.y + t.y + t.h, legend.y + legend.height) - Math.max(stage.y + t.y, legend.y);
        assert.ok(overlapX <= 1 || overlapY <= 1, `the legend covers the ${t.plane} tile`);
      }
      await ctx.screenshot('first-visit-overlay', { forDocs: true });
    },
  },
  {
    name: 'viewer: Open Label Overlay… lists same-grid NIfTI files first, not the open image, Browse… last',
    timeoutMs: 150_000,
    async run(ctx) {
      const ct = ctx.workspace.files.phantomCt;
      const seg = ctx.workspace.files.phantomSeg;
      if (!ct || !seg) return ctx.skip('no phantom in the test workspace');
      const { frame } = await openVolume(ctx, ct);
      await ctx.workbench.runCommand('AnaDiff: Open Label Overlay…');
      const rows = ctx.page.locator('.quick-input-list .monaco-list-row');
      const rowTexts = async (): Promise<string[][]> => (await rows.allInnerTexts()).map((t) => t.split('\n').map((s) => s.trim()).filter(Boolean));
      // The list is filled once every header is read; it is virtual, so only the rows in view exist in the page.
      await rows.filter({ hasText: /\.nii/ }).first().waitFor({ timeout: 30_000 });
      const texts = await rowTexts();
      ctx.log(`picker rows in view: ${texts.map((t) => t.join(' | ')).join(' ;; ')}`);
      // A row's first line is its label (the file name), possibly followed by its folder.
      const files = texts.filter((t) => /\.nii(\.gz)?\b/.test(t[0] ?? ''));
      assert.ok(files[0]?.[0]?.startsWith(path.basename(seg)), `the same-grid label map comes first: ${JSON.stringify(files[0])}`);
      assert.ok(!files.some((t) => t[0]?.startsWith(path.basename(ct))), 'the open image is not offered');
      // Scroll to the end of the list (a workspace with many NIfTI files pushes Browse… out of view).
      const browse = rows.filter({ hasText: 'Browse' }).first();
      await rows.first().hover();
      for (let i = 0; i < 20 && !(await browse.isVisible()); i++) await ctx.page.mouse.wheel(0, 400);
      await browse.waitFor({ timeout: 10_000 });
      const lastRows = await rowTexts();
      // The DOM order of a virtual list's rows is not always list order: data-index is.
      const order = await Promise.all(lastRows.map(async (_, r) => Number(await rows.nth(r).getAttribute('data-index'))));
      const lastIndex = Math.max(...order);
      assert.ok(lastRows[order.indexOf(lastIndex)]?.some((s) => s.includes('Browse')), `Browse… comes last: ${JSON.stringify(lastRows)}`);
      await rows.first().hover();
      for (let i = 0; i < 20; i++) await ctx.page.mouse.wheel(0, -400);
      await ctx.screenshot('overlay-pick', { forDocs: true });
      const t0 = Date.now();
      await ctx.page.keyboard.press('Enter');
      await waitForPhase(frame, 'overlay', t0, 60_000);
    },
  },
  {
    name: 'viewer: an overlay that does not fit the image shows a modal error saying why',
    timeoutMs: 150_000,
    async run(ctx) {
      const ct = ctx.workspace.files.phantomCt;
      if (!ct) return ctx.skip('no phantom in the test workspace');
      const far = path.join(ctx.workspace.dir, 'far_away_e2e_seg.nii');
      writeFarAwayLabelMap(far);
      await openVolume(ctx, ct);
      await ctx.page.locator('.explorer-folders-view .monaco-list-row', { hasText: path.basename(far) }).first().waitFor({ timeout: 30_000 });
      await ctx.workbench.explorerContextMenu(path.basename(far), 'Open Label Overlay');
      const dialog = ctx.page.locator('.monaco-dialog-box');
      await dialog.waitFor({ state: 'visible', timeout: 30_000 });
      const text = await dialog.innerText();
      assert.match(text, /does not overlap/, `the dialog says why: ${text}`);
      await ctx.screenshot('viewer-overlay-refused');
      await ctx.page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    },
  },
  {
    name: 'viewer: a thin volume (20 slices) gets a large axial tile and slices in every tile',
    timeoutMs: 150_000,
    async run(ctx) {
      const slab = await thinSlab(ctx);
      const { frame } = await openVolume(ctx, slab);
      await frame.locator('body[data-tiles]').waitFor({ state: 'attached', timeout: 10_000 });
      const { arrangement, tiles } = await tilesOf(frame);
      const canvas = await frame.locator('#gl').boundingBox();
      assert.ok(canvas);
      ctx.log(`arrangement ${arrangement}, canvas ${canvas.width}x${canvas.height}, tiles ${JSON.stringify(tiles)}`);
      assert.notEqual(arrangement, 'grid');
      const axial = tiles.find((t) => t.plane === 'axial');
      assert.ok(axial);
      const share = (axial.w * axial.h) / (canvas.width * canvas.height);
      assert.ok(share > 0.5, `the axial tile covers ${(share * 100).toFixed(1)}% of the stage (more than half)`);
      // NiiVue draws into those tiles: each shows structure, none is blank.
      const pixels = await canvasPixels(frame, '#gl');
      const ratio = pixels.width / canvas.width;
      for (const t of tiles) {
        const spread = luminanceSpreadIn(pixels, { x: t.x * ratio, y: t.y * ratio, w: t.w * ratio, h: t.h * ratio });
        assert.ok(spread > 10, `the ${t.plane} tile looks blank (spread ${spread.toFixed(1)})`);
      }
      await ctx.screenshot('thin-slab', { forDocs: true });
    },
  },
  {
    name: 'viewer: CT renders (first paint, then NiiVue) with an HU readout',
    timeoutMs: 180_000,
    async run(ctx) {
      const { frame, isExample } = await openCt(ctx);
      const pixels = await canvasPixels(frame, '#gl');
      const spread = luminanceSpread(pixels);
      assert.ok(spread > 10, `the NiiVue canvas looks blank (luminance spread ${spread.toFixed(1)})`);
      const { text, value } = await readoutValue(frame);
      assert.match(text, /ijk \d+ \d+ \d+ .*RAS .* mm .*HU/);
      assert.ok(value >= -1100 && value <= 3100, `readout value ${value} is not a plausible HU`);
      // Click near the middle of the first tile: the readout must follow the crosshair.
      const box = await frame.locator('#gl').boundingBox();
      assert.ok(box);
      await frame.locator('#gl').click({ position: { x: box.width * 0.2, y: box.height * 0.45 } });
      const after = await readoutValue(frame);
      assert.notEqual(after.text, text, 'clicking moved the crosshair and changed the readout');
      if (isExample) assert.ok(after.value >= -1100 && after.value <= 3400, `HU after click ${after.value}`);
      await ctx.screenshot('viewer-ct');
    },
  },
  {
    name: 'viewer: a window preset changes the rendered pixels',
    timeoutMs: 180_000,
    async run(ctx) {
      const { frame } = await openCt(ctx);
      const before = await canvasPixels(frame, '#gl');
      // The view state is remembered per file: pick a preset other than the one the file reopened with.
      const width = async (): Promise<string> => frame.locator('#window-width').evaluate((el: unknown) => (el as { value: string }).value);
      const [preset, presetWidth] = (await width()) === '1500' ? ['Bone', '1800'] : ['Lung', '1500'];
      await runCommandAndPick(ctx, 'AnaDiff: Viewer: CT Window Preset…', preset);
      const { fraction } = await waitForChange(frame, before, 60_000);
      assert.ok(fraction > 0.02, `the ${preset} window changed only ${(fraction * 100).toFixed(2)}% of the pixels`);
      assert.equal(await width(), presetWidth, `the toolbar shows the ${preset} width`);
      await ctx.screenshot('viewer-lung-window');
    },
  },
  {
    name: 'viewer: a label overlay appears with its legend',
    timeoutMs: 180_000,
    async run(ctx) {
      const seg = ctx.workspace.files.exampleCt ? ctx.workspace.files.exampleSeg : ctx.workspace.files.phantomSeg;
      if (!seg) return ctx.skip('no label map in the test workspace');
      const { frame } = await openCt(ctx);
      const before = await canvasPixels(frame, '#gl');
      const t0 = Date.now();
      // The explorer's context menu on the label map: "Open Label Overlay…" (shown while a viewer is active).
      await ctx.workbench.explorerContextMenu(path.basename(seg), 'Open Label Overlay');
      const overlayMs = await waitForPhase(frame, 'overlay', t0, 60_000);
      recordTiming('overlayMs', overlayMs);
      const legend = frame.locator('#legend .legend-row');
      await legend.first().waitFor({ timeout: 10_000 });
      const names = await legend.allInnerTexts();
      ctx.log(`legend: ${names.map((n) => n.replace(/\s+/g, ' ')).join(', ')}`);
      if (ctx.workspace.files.exampleSeg === seg) assert.ok(names.some((n) => n.includes('liver')), `BTCV legend names the liver: ${names.join(', ')}`);
      const { pixels } = await waitForChange(frame, before, 30_000);
      assert.ok(colouredFraction(pixels) > colouredFraction(before) + 0.005, 'coloured label pixels appear over the grey CT');
      // Hiding every label takes the colour away again.
      const boxes = frame.locator('#legend input[type=checkbox]');
      for (let i = 0; i < (await boxes.count()); i++) await boxes.nth(i).uncheck();
      const hidden = await waitForChange(frame, pixels, 30_000);
      assert.ok(colouredFraction(hidden.pixels) < colouredFraction(pixels), 'hiding all labels removes their colour');
      for (let i = 0; i < (await boxes.count()); i++) await boxes.nth(i).check();
      await waitForChange(frame, hidden.pixels, 30_000);
      await ctx.screenshot('viewer-overlay');
      // The same view in the other theme (the viewer follows VS Code's theme colours), then back.
      await ctx.workbench.runCommand('Preferences: Toggle between Light/Dark Themes');
      await ctx.page.waitForTimeout(2000);
      await ctx.screenshot('viewer-overlay-other-theme');
      await ctx.workbench.runCommand('Preferences: Toggle between Light/Dark Themes');
    },
  },
  {
    name: 'viewer: a 512x512x300 CT shows its slices (timing recorded, 60 s sanity bound)',
    timeoutMs: 300_000,
    async run(ctx) {
      const out = path.join(ctx.workspace.dir, '.large');
      const generate = spawnSync(process.execPath, [path.resolve('bin/anadiff.js'), 'sample', '--out', out, '--large'], { encoding: 'utf8' });
      if (generate.status !== 0) return ctx.skip(`the large phantom could not be generated: ${generate.stderr || generate.stdout}`);
      const name = 'large_ct_512x512x300.nii.gz';
      renameSync(path.join(out, 'phantom_ct.nii.gz'), path.join(ctx.workspace.dir, name));
      await ctx.workbench.closeAllEditors();
      await ctx.page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 30_000 });
      const t0 = Date.now();
      await ctx.workbench.openFileFromExplorer(name);
      const frame = await ctx.workbench.webviewFrame(60_000);
      const firstPaint = await waitForPhase(frame, 'first-paint', t0, 120_000);
      await ctx.screenshot('viewer-large-first-paint');
      await waitForPhase(frame, 'interactive', t0, 240_000);
      // Polling and screenshots wait for a busy renderer, so the webview's own clock gives the milestones; it is
      // placed on the test's clock by the first paint, which the test saw within one poll of it happening.
      const milestones = await frame.locator('body').evaluate((body: unknown) => ({ ...(body as { dataset: Record<string, string> }).dataset }));
      const scriptStart = firstPaint - Number(milestones.firstPaintMs);
      const interactive = scriptStart + Number(milestones.interactiveMs);
      const spread = luminanceSpread(await canvasPixels(frame, '#gl'));
      ctx.log(`${name}: first slices after ${firstPaint} ms, interactive after ${interactive} ms (from the double-click)`);
      ctx.log(`webview milestones (ms since its script started, ${scriptStart} ms after the double-click): ${JSON.stringify(milestones)}`);
      recordTiming(name, { firstPaintMs: firstPaint, interactiveMs: interactive, webviewScriptStartMs: scriptStart, webviewMilestones: milestones, goal: { firstPaintMs: 5000, interactiveMs: 15000 } });
      assert.ok(spread > 10, `the large CT canvas looks blank (spread ${spread.toFixed(1)})`);
      // The 5 s goal is measured and reported by `npm run bench:viewer`; a pass/fail bound on a shared 2-core machine
      // only catches a hang (15.7 s was once seen under load while the viewer was fine).
      assert.ok(firstPaint < FIRST_PAINT_SANITY_MS, `first slices took ${firstPaint} ms (sanity bound ${FIRST_PAINT_SANITY_MS} ms; the goal, 5 s, is npm run bench:viewer's)`);
      await ctx.screenshot('viewer-large');
    },
  },
];
