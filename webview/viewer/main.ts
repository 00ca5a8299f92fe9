// Webview entry (bundled as dist/webview/viewer.js). Flow: post `ready` -> `init` (saved view state) ->
// `firstPaint` (three slices on a 2D canvas, no WebGL), with optional `volumeFileChunk`s (the file's gzip bytes,
// inflated here as they arrive) before and after it -> `volume` (NiiVue takes over) -> optional `overlay` (and, after
// Segment Organs, its `organTable`).
import { mat4InvertAffine } from '../../src/core/volume/mat4.js';
import { extentRasMm, stageLayout, type Tile } from '../../src/core/viewer/multiplanar.js';
import { ijkToRasMm } from '../../src/core/viewer/slices.js';
import type { ViewerConvention } from '../../src/core/viewer/convention.js';
import { findPreset, formatValue, rangeToWindow, windowToRange } from '../../src/core/viewer/window.js';
import type { LabelEntry } from '../../src/core/viewer/color-tables.js';
import type { HostToWebview, OrganStat, ViewerPhase, ViewerState, VolumeGeometry, VoxelType, WebviewToHost } from '../../src/protocol/viewer.js';
import { byId, cssColourToRgba, h, themeColour } from './dom.js';
import { drawFirstPaint } from './first-paint.js';
import { startFileInflate, type FileInflate, type InflatedVoxels } from './file-inflate.js';
import { VolumeView, type Location } from './niivue-view.js';
import { buildOfferBanner } from './offer-banner.js';
import { renderHeader, renderLegend, renderOrganTable } from './side-panel.js';
import { defaultState, matchingPreset, parseSavedState } from './state.js';
import { buildToolbar } from './toolbar.js';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const started = performance.now();
const vscode = acquireVsCodeApi();
const post = (m: WebviewToHost): void => vscode.postMessage(m);
const COLORMAPS = ['gray', 'bone', 'hot', 'winter', 'viridis', 'plasma', 'inferno', 'cool'];

/** Everything the viewer knows; `state` is what is saved. */
const model: {
  state: ViewerState | null;
  saved: ViewerState | null;
  fileName: string;
  isCt: boolean;
  image: { geometry: VolumeGeometry; rasToIjk: readonly number[]; values: ArrayLike<number> } | null;
  overlay: { labels: readonly LabelEntry[]; hidden: Set<number> } | null;
  /** The organ table of the last segmentation (Segment Organs), for the label map it describes. */
  organs: { fileName: string; organs: readonly OrganStat[]; warnings: readonly string[] } | null;
  view: VolumeView | null;
  lastPlane: number;
  /** The `anadiff.viewer.convention` setting, from `init`. */
  convention: ViewerConvention;
  /** The image's extent along R, A, S (mm): sizes the tiles. */
  extentMm: [number, number, number] | null;
} = { convention: 'auto', extentMm: null, state: null, saved: parseSavedState(vscode.getState()), fileName: '', isCt: false, image: null, overlay: null, organs: null, view: null, lastPlane: 0 };

// ---- layout ----
const status = byId('status');
const firstCanvas = h('canvas', { id: 'first-paint', 'aria-label': 'First slices' });
const glCanvas = h('canvas', { id: 'gl', 'aria-label': 'Volume view' });
const readout = h('div', { id: 'readout', role: 'status', 'aria-live': 'polite' }, '');
const legendPanel = h('section', { id: 'legend-panel', class: 'panel' });
const headerPanel = h('section', { id: 'header-panel', class: 'panel' });
const organPanel = h('section', { id: 'organ-panel', class: 'panel' });
legendPanel.hidden = true;
organPanel.hidden = true;
headerPanel.hidden = true;

const toolbar = buildToolbar({
  layout: (layout) => update({ layout }),
  preset: (id) => {
    const preset = findPreset(id);
    if (preset) update({ window: windowToRange(preset), presetId: id });
  },
  manualWindow: (width, level) => {
    const window = windowToRange({ width, level });
    update({ window, presetId: matchingPreset(window) });
  },
  colormap: (colormap) => update({ colormap }),
  radiological: (radiological) => update({ radiological }),
  overlay: () => post({ type: 'pickOverlay' }),
  header: () => update({ headerOpen: !(model.state?.headerOpen ?? false) }),
  resetZoom: () => model.view?.resetZoom(),
});

const offerBanner = buildOfferBanner({ open: (fileName) => post({ type: 'openOffered', fileName }) });
/** The part of the stage no tile uses, when it is big enough for the legend (see `relayout`). */
const freeSpace = h('div', { id: 'free-space' });
freeSpace.hidden = true;
const stage = h('div', { id: 'stage' }, h('div', { id: 'gl-box' }, glCanvas), firstCanvas, freeSpace, offerBanner.element);
const side = h('aside', { id: 'side' }, legendPanel, organPanel, headerPanel);
byId('app').replaceChildren(
  toolbar.element,
  h('div', { id: 'main' }, stage, side),
  h('footer', { id: 'footer' }, readout, status),
);

function setStatus(text: string): void {
  status.textContent = text;
}

function mark(phase: ViewerPhase): void {
  const ms = Math.round(performance.now() - started);
  document.body.dataset[`${phase}Ms`] = String(ms);
  post({ type: 'timing', phase, ms });
}

// ---- state changes: one function applies a partial change to the model, the views and the saved state ----
let saveTimer: ReturnType<typeof setTimeout> | undefined;
function update(change: Partial<ViewerState>): void {
  const before = model.state;
  if (!before) return;
  const next: ViewerState = { ...before, ...change };
  model.state = next;
  const view = model.view;
  if (change.layout && change.layout !== before.layout) {
    toolbar.setLayout(next.layout);
    view?.setLayout(next.layout);
    relayout();
  }
  if (change.window && (change.window.min !== before.window.min || change.window.max !== before.window.max || change.presetId !== before.presetId)) {
    const w = rangeToWindow(next.window);
    toolbar.setWindow(w.width, w.level, next.presetId);
    view?.setWindow(next.window);
  }
  if (change.colormap && change.colormap !== before.colormap) view?.setColormap(next.colormap);
  if (change.radiological !== undefined && change.radiological !== before.radiological) {
    toolbar.setRadiological(next.radiological);
    view?.setRadiological(next.radiological);
  }
  if (change.headerOpen !== undefined) headerPanel.hidden = !next.headerOpen;
  if (!view) repaintFirst();
  vscode.setState(next);
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => post({ type: 'viewState', state: next }), 300);
}

// ---- tiles: sized by the volume's physical extent (core/viewer/multiplanar), the free area holds the legend ----
/** The legend moves into the free area only when it fits there (CSS px); otherwise it stays in the side panel. */
const LEGEND_MIN_PX = { w: 200, h: 140 };
let tiles: readonly Tile[] = [];

/** Recomputes the tiles for the stage's size and the layout, places the legend, and redraws. */
function relayout(): void {
  if (!model.state || !model.extentMm) return;
  const box = stage.getBoundingClientRect();
  const layout = stageLayout(box.width, box.height, model.extentMm, model.state.layout);
  tiles = layout.tiles;
  document.body.dataset.arrangement = model.state.layout === 'multiplanar' ? layout.arrangement : model.state.layout;
  document.body.dataset.tiles = JSON.stringify(tiles.map((t) => ({ plane: t.plane, x: Math.round(t.rect.x), y: Math.round(t.rect.y), w: Math.round(t.rect.w), h: Math.round(t.rect.h) })));
  const free = layout.free;
  if (free && free.w >= LEGEND_MIN_PX.w && free.h >= LEGEND_MIN_PX.h) {
    Object.assign(freeSpace.style, { left: `${free.x}px`, top: `${free.y}px`, width: `${free.w}px`, height: `${free.h}px` });
    if (legendPanel.parentElement !== freeSpace) freeSpace.append(legendPanel);
    freeSpace.hidden = legendPanel.hidden;
  } else {
    if (legendPanel.parentElement !== side) side.prepend(legendPanel);
    freeSpace.hidden = true;
  }
  if (model.view) {
    if (model.state.layout === 'multiplanar') model.view.setTiles(tiles, box.width, box.height);
    document.body.dataset.orientationLetterPx = String(model.view.orientationLetterCssPx());
  } else repaintFirst();
}

// ---- first paint ----
let firstSlices: Extract<HostToWebview, { type: 'firstPaint' }>['slices'] | null = null;
function repaintFirst(): void {
  if (!firstSlices || !model.state || model.view) return;
  drawFirstPaint(firstCanvas, firstSlices, tiles, model.state, themeColour('--vscode-editor-background', '#1e1e1e'));
}

// ---- readout ----
function showLocation(loc: Location): void {
  if (loc.plane !== null) model.lastPlane = loc.plane;
  const image = model.image;
  if (!image || !model.state) return;
  const [nx, ny, nz] = image.geometry.dims;
  const ijkFloat = ijkToRasMm(image.rasToIjk, loc.mm);
  const ijk = ijkFloat.map((v) => Math.round(v));
  const inside = ijk[0]! >= 0 && ijk[1]! >= 0 && ijk[2]! >= 0 && ijk[0]! < nx && ijk[1]! < ny && ijk[2]! < nz;
  const value = inside ? (image.values[ijk[0]! + nx * (ijk[1]! + ny * ijk[2]!)] as number) : NaN;
  const parts = [
    `ijk ${ijk.join(' ')}`,
    `RAS ${loc.mm.map((v) => v.toFixed(1)).join(' ')} mm`,
    inside ? formatValue(value, model.isCt ? 'HU' : '') : 'outside',
  ];
  if (model.overlay) {
    const labelValue = Math.round(loc.values[1] ?? 0);
    const label = model.overlay.labels.find((l) => l.id === labelValue);
    if (label) parts.push(label.name);
  }
  readout.textContent = parts.join('   ·   ');
  readout.dataset.value = String(value);
  if (model.state.crosshairFrac.some((f, i) => Math.abs(f - (loc.frac[i] as number)) > 1e-6)) update({ crosshairFrac: loc.frac });
}

// ---- messages ----
async function onMessage(m: HostToWebview): Promise<void> {
  switch (m.type) {
    case 'init':
      model.fileName = m.fileName;
      model.convention = m.convention;
      model.saved = parseSavedState(m.savedState) ?? model.saved;
      setStatus(`Decoding ${m.fileName}…`);
      break;
    case 'firstPaint': {
      note('firstPaintReceivedMs');
      model.isCt = m.isCt;
      model.state = model.saved ?? defaultState(m.defaultWindow, m.isCt, model.convention);
      applyStateToToolbar(model.state);
      firstSlices = m.slices;
      model.extentMm = extentRasMm(m.geometry.dims, m.geometry.ijkToRas);
      relayout();
      byId('app').classList.remove('loading');
      mark('firstPaint');
      setStatus(`${m.geometry.dims.join('×')} · ${m.geometry.spacing.map((s) => s.toFixed(2)).join('×')} mm · ${m.geometry.orientation} · loading full volume…`);
      break;
    }
    case 'volumeFileChunk':
      // No await before the write: pieces must enter the stream in the order they arrive.
      acceptFilePiece(m);
      break;
    case 'volume': {
      if (m.voxels !== null) dropFilePieces();
      const fromFile = m.voxels === null ? await voxelsFromFile() : null;
      if (m.voxels === null && !fromFile) return; // asked the host for the decoded voxels; a second `volume` follows
      await showVolume(m, fromFile ?? { voxelType: m.voxelType, buffer: m.voxels as ArrayBuffer });
      break;
    }
    case 'overlay':
      await showOverlay(m);
      offerBanner.hide('opened');
      break;
    case 'overlayOffer':
      offerBanner.show(m.files);
      break;
    case 'organTable':
      model.organs = { fileName: m.fileName, organs: m.organs, warnings: m.warnings };
      renderOrgans();
      break;
    case 'applyPreset': {
      const preset = findPreset(m.preset);
      if (preset) update({ window: windowToRange(preset), presetId: preset.id });
      break;
    }
    case 'setLayout':
      update({ layout: m.layout });
      break;
    case 'toggleRadiological':
      update({ radiological: !(model.state?.radiological ?? false) });
      break;
    case 'toggleHeader':
      update({ headerOpen: !(model.state?.headerOpen ?? false) });
      break;
    case 'error':
      setStatus(m.message);
      status.classList.add('error');
      if (m.fatal) byId('app').classList.add('failed');
      break;
    default: {
      const unhandled: never = m;
      void unhandled;
    }
  }
}

function applyStateToToolbar(s: ViewerState): void {
  const w = rangeToWindow(s.window);
  toolbar.setLayout(s.layout);
  toolbar.setWindow(w.width, w.level, s.presetId);
  toolbar.setRadiological(s.radiological);
  toolbar.setUnit(model.isCt ? 'HU' : '');
  toolbar.setColormaps(COLORMAPS, s.colormap);
  headerPanel.hidden = !s.headerOpen;
}

function themeColours(): { background: [number, number, number, number]; crosshair: [number, number, number, number] } {
  return {
    background: cssColourToRgba(themeColour('--vscode-editor-background', '#1e1e1e'), [0.12, 0.12, 0.12, 1]),
    crosshair: cssColourToRgba(themeColour('--vscode-focusBorder', '#3794ff'), [0.2, 0.6, 1, 1]),
  };
}

// VS Code swaps the body's theme class (vscode-light / vscode-dark / vscode-high-contrast) when the theme changes.
new MutationObserver(() => {
  const c = themeColours();
  model.view?.setColours(c.background, c.crosshair);
  repaintFirst();
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

function typedView(voxelType: VoxelType, buffer: ArrayBuffer): ArrayLike<number> {
  return voxelType === 'uint8' ? new Uint8Array(buffer) : voxelType === 'int16' ? new Int16Array(buffer) : new Float32Array(buffer);
}

/** Extra milestones (ms since the script started) on the body for the e2e test's breakdown of load time. */
function note(name: string): void {
  document.body.dataset[name] = String(Math.round(performance.now() - started));
}

// ---- the volume from the file's own gzip bytes (see `volumeFileChunk`) ----
let fileVoxels: Promise<InflatedVoxels> | null = null;
let fileInflate: FileInflate | null = null;

/** Feeds one piece into the running inflate; the first piece starts it, the last one closes its input. */
function acceptFilePiece(m: Extract<HostToWebview, { type: 'volumeFileChunk' }>): void {
  if (m.offset === 0) {
    note('volumeFileFirstChunkMs');
    dropFilePieces();
    fileInflate = startFileInflate(m.raw);
    fileVoxels = fileInflate.voxels.then((v) => (note('volumeFileInflatedMs'), v));
    fileVoxels.catch(() => undefined); // observed when `volume` arrives
  }
  const inflate = fileInflate;
  if (!inflate) return; // a piece of a stream that was dropped
  inflate.write(new Uint8Array(m.gzip));
  if (m.offset < m.totalBytes / 2 && m.offset + m.gzip.byteLength >= m.totalBytes / 2) note('volumeFileHalfMs');
  if (m.offset + m.gzip.byteLength >= m.totalBytes) {
    note('volumeFileReceivedMs');
    inflate.close();
    fileInflate = null;
  }
}

/** The host sent the decoded voxels after all (or a new stream starts): stop inflating the file. */
function dropFilePieces(): void {
  fileInflate?.abort();
  fileInflate = null;
  fileVoxels = null;
}

/** The voxels inflated from the `volumeFileChunk`s, or null after asking the host for the decoded ones. */
async function voxelsFromFile(): Promise<InflatedVoxels | null> {
  try {
    if (!fileVoxels) throw new Error('no file bytes arrived');
    return await fileVoxels;
  } catch (err) {
    post({ type: 'needVoxels', reason: err instanceof Error ? err.message : String(err) });
    return null;
  } finally {
    fileVoxels = null;
  }
}

let resolveViewShown!: (view: VolumeView) => void;
/** Settles when NiiVue shows the image: an overlay posted earlier (Segment Organs posts it as the viewer opens) waits. */
const viewShown = new Promise<VolumeView>((resolve) => (resolveViewShown = resolve));

async function showVolume(m: Extract<HostToWebview, { type: 'volume' }>, voxels: { voxelType: VoxelType; buffer: ArrayBuffer }): Promise<void> {
  note('volumeReceivedMs');
  document.body.dataset.hostDecodeMs = String(m.decodeMs);
  model.isCt = m.isCt;
  if (!model.state) {
    model.state = model.saved ?? defaultState(m.defaultWindow, m.isCt, model.convention);
    applyStateToToolbar(model.state);
  }
  model.extentMm = extentRasMm(m.geometry.dims, m.geometry.ijkToRas);
  model.image = { geometry: m.geometry, rasToIjk: mat4InvertAffine(m.geometry.ijkToRas), values: typedView(voxels.voxelType, voxels.buffer) };
  renderHeader(headerPanel, m.fileName, m.header);
  const state = model.state;
  try {
    const view = await VolumeView.attach(glCanvas, {
      ...themeColours(),
      layout: state.layout,
      radiological: state.radiological,
      onLocation: showLocation,
      onWindowDragged: (window) => update({ window, presetId: matchingPreset(window) }),
    });
    note('niivueAttachedMs');
    await view.showImage(m.fileName, m.geometry, voxels.voxelType, voxels.buffer, state.window, state.colormap, () => note('niivueParsedMs'));
    note('volumeQueuedMs');
    view.finishGpuWork();
    note('volumeShownMs');
    model.view = view;
    relayout();
    resolveViewShown(view);
    toolbar.setColormaps(COLORMAPS.filter((c) => view.colormaps().includes(c)), state.colormap);
    view.setCrosshairFrac(state.crosshairFrac);
    // Let NiiVue present its first frame before the 2D picture is taken away, so nothing flashes.
    requestAnimationFrame(() => {
      firstCanvas.hidden = true;
      mark('interactive');
      setStatus(`${m.geometry.dims.join('×')} · ${m.geometry.spacing.map((s) => s.toFixed(2)).join('×')} mm · ${m.geometry.orientation} · ${voxels.voxelType}`);
    });
  } catch (err) {
    const message = `NiiVue could not show the volume: ${err instanceof Error ? err.message : String(err)}`;
    setStatus(message);
    post({ type: 'error', message });
  }
}

async function showOverlay(m: Extract<HostToWebview, { type: 'overlay' }>): Promise<void> {
  const view = model.view ?? (await viewShown);
  const state = model.state;
  if (!state) return;
  const hidden = new Set(state.hiddenLabels);
  model.overlay = { labels: m.labels, hidden };

  await view.showOverlay(m.fileName, m.geometry, m.voxelType, m.voxels, m.labels, hidden, state.overlayOpacity);
  renderLegend(legendPanel, m.fileName, m.placementNote, m.labels, hidden, state.overlayOpacity, {
    toggle: (id, visible) => {
      if (visible) hidden.delete(id);
      else hidden.add(id);
      view.setHiddenLabels(hidden);
      update({ hiddenLabels: [...hidden] });
    },
    opacity: (value) => {
      view.setOverlayOpacity(value);
      update({ overlayOpacity: value });
    },
  });
  relayout(); // the legend now exists: into the free area if it fits there
  view.setCrosshairFrac(state.crosshairFrac);
  // The organ table describes one label map: redrawn with the legend's colours, or hidden for another map.
  if (model.organs?.fileName === m.fileName) renderOrgans();
  else organPanel.hidden = true;
  mark('overlay');
}

function renderOrgans(): void {
  if (!model.organs) return;
  const colours = new Map((model.overlay?.labels ?? []).map((l) => [l.id, l.rgb] as const));
  renderOrganTable(organPanel, model.organs.fileName, model.organs.organs, model.organs.warnings, colours, model.isCt);
}

// ---- keyboard and wheel: arrows / Page keys move slices, Ctrl+wheel zooms ----
window.addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement | null;
  if (target && /^(INPUT|VSCODE-TEXTFIELD|VSCODE-SINGLE-SELECT)$/.test(target.tagName)) return;
  const view = model.view;
  if (!view) return;
  const plane = model.state?.layout === 'axial' ? 0 : model.state?.layout === 'coronal' ? 1 : model.state?.layout === 'sagittal' ? 2 : model.lastPlane;
  const steps: Record<string, number> = { ArrowUp: 1, ArrowRight: 1, PageUp: 10, ArrowDown: -1, ArrowLeft: -1, PageDown: -10 };
  const delta = steps[e.key];
  if (delta === undefined) return;
  e.preventDefault();
  view.step(plane, delta);
});
glCanvas.addEventListener(
  'wheel',
  (e) => {
    if (!(e.ctrlKey || e.metaKey) || !model.view) return;
    // Plain wheel stays NiiVue's slice scrolling; with Ctrl it zooms, and NiiVue must not also move the slice.
    e.preventDefault();
    e.stopImmediatePropagation();
    model.view.zoom(e.deltaY < 0 ? 1.1 : 1 / 1.1);
  },
  { capture: true, passive: false },
);
new ResizeObserver(() => relayout()).observe(stage);

window.addEventListener('message', (event: MessageEvent<HostToWebview>) => {
  onMessage(event.data).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    setStatus(message);
    post({ type: 'error', message });
  });
});
post({ type: 'ready' });

