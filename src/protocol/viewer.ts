// Every message between the extension host and the volume viewer webview. One file, string-literal unions,
// dispatched with exhaustive switches on both sides. Voxel and slice payloads are plain ArrayBuffers: VS Code
// transfers them as binary; a Node Buffer would be serialised as JSON (minutes for a CT, then a parse failure).

import type { OrganStat } from '../core/metrics/organ-stats.js';
import type { LabelEntry, LabelTable } from '../core/viewer/color-tables.js';
import type { ViewerConvention } from '../core/viewer/convention.js';
import type { DisplayRange, WindowPresetId } from '../core/viewer/window.js';
import type { Plane } from '../core/viewer/slices.js';
import type { VolumeGeometry, VoxelType } from '../core/viewer/prepare.js';

/** The custom editor's view type (package.json `customEditors`). */
export const VOLUME_VIEWER_VIEW_TYPE = 'anadiff.volumeViewer';

export type Layout = 'axial' | 'coronal' | 'sagittal' | 'multiplanar';
export const LAYOUTS: readonly Layout[] = ['multiplanar', 'axial', 'coronal', 'sagittal'];

export type { VoxelType, VolumeGeometry, OrganStat };

/** One plane for the first paint; `pixels` is a Float32Array's buffer, row 0 at the top of the screen. */
export interface SlicePayload {
  readonly plane: Plane;
  readonly width: number;
  readonly height: number;
  readonly pixelMm: readonly [number, number];
  readonly pixels: ArrayBuffer;
}

/** What the viewer remembers per file (restored after hiding, closing and reopening the tab). */
export interface ViewerState {
  readonly layout: Layout;
  /** Display range in image units (HU for CT). */
  readonly window: DisplayRange;
  /** The preset the window came from, if it still matches one. */
  readonly presetId: WindowPresetId | null;
  /** Crosshair as fractions 0..1 of the canonical (R, A, S) extent: NiiVue's own crosshair unit. */
  readonly crosshairFrac: readonly [number, number, number];
  readonly colormap: string;
  readonly radiological: boolean;
  readonly overlayOpacity: number;
  readonly hiddenLabels: readonly number[];
  readonly headerOpen: boolean;
}

export interface HeaderField {
  readonly name: string;
  readonly value: string;
}

/** The three planes through the centre, decoded natively, for a first paint on a 2D canvas while NiiVue loads. */
export interface FirstPaint {
  readonly geometry: VolumeGeometry;
  readonly slices: readonly SlicePayload[];
  readonly defaultWindow: DisplayRange;
  readonly isCt: boolean;
}

/** Messages from the host to the webview. */
export type HostToWebview =
  /**
   * Sent once after `ready`: which file this editor shows, the view state saved for it, if any, and the
   * `anadiff.viewer.convention` setting (used when there is no saved state).
   */
  | { readonly type: 'init'; readonly fileName: string; readonly savedState: ViewerState | null; readonly convention: ViewerConvention }
  /** The three planes through the centre, decoded natively in a worker: drawn on a 2D canvas while NiiVue loads. */
  | ({ readonly type: 'firstPaint' } & FirstPaint)
  /**
   * One piece of the file's own gzip bytes, when its stored voxels already are the values to show (see `RawVoxels`,
   * decided from the header alone). Posted from the webview's `ready` on, in order, each awaited, so `firstPaint` can
   * go between two pieces; the webview feeds them into one `DecompressionStream` as they arrive. The piece with
   * `offset` 0 starts the stream, the one that reaches `totalBytes` ends it. About half the bytes of the decoded volume.
   */
  | { readonly type: 'volumeFileChunk'; readonly gzip: ArrayBuffer; readonly offset: number; readonly totalBytes: number; readonly raw: RawVoxels }
  /**
   * The full decoded volume (scaled values, x fastest) plus every header field for the header panel. `voxels` is
   * null when every `volumeFileChunk` was posted: the webview takes the voxels from the inflated file (the values are
   * equal). With voxels, any file pieces already received are dropped.
   */
  | {
      readonly type: 'volume';
      readonly fileName: string;
      readonly geometry: VolumeGeometry;
      readonly voxelType: VoxelType;
      readonly voxels: ArrayBuffer | null;
      readonly fullRange: DisplayRange;
      readonly defaultWindow: DisplayRange;
      readonly isCt: boolean;
      readonly header: readonly HeaderField[];
      readonly decodeMs: number;
    }
  /** A label map to overlay; `placementNote` says when it is placed by its affine on a different grid. */
  | {
      readonly type: 'overlay';
      readonly fileName: string;
      readonly geometry: VolumeGeometry;
      readonly voxelType: VoxelType;
      readonly voxels: ArrayBuffer;
      readonly table: LabelTable['id'];
      readonly labels: readonly LabelEntry[];
      readonly placementNote: string | null;
    }
  /**
   * Label maps on the image's grid that lie next to it (file names in its folder), found from headers after the
   * image loaded. The webview offers them in its own banner (Open / Dismiss): a notification toast could go unseen.
   * Posted once per load; `files` is empty when there are none.
   */
  | { readonly type: 'overlayOffer'; readonly files: readonly string[] }
  /**
   * After `Segment Organs`: each organ of the label map `fileName` (shown as the overlay) with its voxel count, volume
   * in mL, mean image value inside (HU for a CT) and the model's confidence, from `segment --json`; the side panel shows
   * it as a table, with the input `warnings` (core/infer/trust.ts; [] when none) above it.
   */
  | { readonly type: 'organTable'; readonly fileName: string; readonly organs: readonly OrganStat[]; readonly warnings: readonly string[] }
  /** Palette command: apply a CT window preset. */
  | { readonly type: 'applyPreset'; readonly preset: WindowPresetId }
  /** Palette command: switch layout. */
  | { readonly type: 'setLayout'; readonly layout: Layout }
  /** Palette command: flip between radiological and neurological convention. */
  | { readonly type: 'toggleRadiological' }
  /** Palette command: show or hide the header panel. */
  | { readonly type: 'toggleHeader' }
  /** The file (or an overlay) could not be shown; the webview shows the message in place of the image. */
  | { readonly type: 'error'; readonly message: string; readonly fatal: boolean };

export type ViewerPhase = 'firstPaint' | 'interactive' | 'overlay';

/** Messages from the webview to the host. */
export type WebviewToHost =
  /** The webview's script runs and listens: the host may post now (nothing is posted before). */
  | { readonly type: 'ready' }
  /** The view changed (debounced); the host saves it per file in workspace state. */
  | { readonly type: 'viewState'; readonly state: ViewerState }
  /** The user pressed "Label overlay…" in the toolbar. */
  | { readonly type: 'pickOverlay' }
  /** The user pressed Open in the offer banner: show this file (one of `overlayOffer.files`) as the overlay. */
  | { readonly type: 'openOffered'; readonly fileName: string }
  /** A loading milestone, in ms since the webview script started (logged; read by the e2e test through the DOM). */
  | { readonly type: 'timing'; readonly phase: ViewerPhase; readonly ms: number }
  /** The webview could not use the `volumeFileChunk`s (inflate failed, wrong size): the host posts `volume` again with voxels. */
  | { readonly type: 'needVoxels'; readonly reason: string }
  /** Something failed inside the webview (NiiVue, WebGL): the host logs it and shows it. */
  | { readonly type: 'error'; readonly message: string };

/** Narrows an unknown message from the webview; anything else is ignored by the host (never trusted blindly). */
export function isWebviewToHost(message: unknown): message is WebviewToHost {
  if (typeof message !== 'object' || message === null) return false;
  const type = (message as { type?: unknown }).type;
  return type === 'ready' || type === 'viewState' || type === 'pickOverlay' || type === 'openOffered' || type === 'timing' || type === 'needVoxels' || type === 'error';
}

// ---- host <-> decode worker (src/node/viewer/decode-worker.ts) ----

/** What the host asks the decode worker: read one file as the main image or a label overlay, or only read grids. */
export type DecodeRequest =
  | {
      readonly type: 'decode';
      readonly path: string;
      readonly role: 'image' | 'overlay';
      /** Refuse volumes with more voxels than this (typed NiftiError 'too-large'). */
      readonly maxVoxels: number;
    }
  /** Headers only: the grid of each file (for offering sibling label maps on the same grid). */
  | { readonly type: 'grids'; readonly paths: readonly string[] };

/**
 * Where a file's stored voxels are exactly the values to show: one frame, little-endian uint8 or int16, no scaling.
 * Then the inflated file from `voxOffset` on is the volume, and the webview can skip the decoded copy.
 */
export interface RawVoxels {
  readonly voxelType: 'uint8' | 'int16';
  readonly voxOffset: number;
  readonly voxelCount: number;
}

/** A file's grid from its header, or why it could not be read. */
export type GridResult = { readonly path: string; readonly dims: readonly number[]; readonly ijkToRas: readonly number[] } | { readonly path: string; readonly error: string };

/** Messages the decode worker posts, in order: `firstPaint` (images only), then `decoded` or `failed`. */
export type DecodeReply =
  /** Centre slices, posted as soon as the data is decoded so the webview can paint before the full volume arrives. */
  | ({ readonly type: 'firstPaint' } & FirstPaint & {
      /**
       * Set when the file's stored voxels can be shown as they are (see RawVoxels). The host decides this from the
       * header before decoding (`readRawVoxels`); this is the same rule on the decoded image, compared in the tests.
       */
      readonly raw: RawVoxels | null;
    })
  /** The whole volume, compacted; `labelIds` are the distinct values (overlays only, else empty). */
  | {
      readonly type: 'decoded';
      readonly geometry: VolumeGeometry;
      readonly voxelType: VoxelType;
      readonly voxels: ArrayBuffer;
      readonly fullRange: DisplayRange;
      readonly defaultWindow: DisplayRange;
      readonly isCt: boolean;
      readonly integerValued: boolean;
      readonly labelIds: readonly number[];
      /** The NIfTI `descrip` field (names the label vocabulary of files `anadiff sample` writes). */
      readonly description: string;
      readonly header: readonly HeaderField[];
      readonly decodeMs: number;
    }
  /** Reply to `grids`, one entry per path in order. */
  | { readonly type: 'grids'; readonly results: readonly GridResult[] }
  /** The file could not be read; `message` is written for a person (a NiftiError's message when it is one). */
  | { readonly type: 'failed'; readonly message: string };
