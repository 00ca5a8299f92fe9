import * as vscode from 'vscode';
import * as path from 'node:path';
import { open, type FileHandle } from 'node:fs/promises';
import { chooseLabelTable, presentLabels } from '../../core/viewer/color-tables.js';
import { parseConvention, type ViewerConvention } from '../../core/viewer/convention.js';
import { placeOverlay } from '../../core/viewer/overlay-grid.js';
import type { GridResult, HostToWebview, ViewerPhase, ViewerState, VolumeGeometry, WebviewToHost } from '../../protocol/viewer.js';
import { isWebviewToHost } from '../../protocol/viewer.js';
import { decodeVolume, readGrids, type DecodeHandle, type Decoded, type WorkerSpec } from './decode-client.js';
import { viewerHtml } from './html.js';
import { readRawVoxels } from '../../node/viewer/raw-voxels.js';

/** What every panel shares: where the bundles are, where view state is kept, where logs go. */
export interface ViewerServices {
  readonly extensionUri: vscode.Uri;
  readonly worker: WorkerSpec;
  readonly viewState: vscode.Memento;
  readonly log: vscode.LogOutputChannel;
  readonly maxVoxels: number;
}

const STATE_KEY_PREFIX = 'anadiff.viewer.state:';
/** Size of one `volumeFileChunk`: about 0.2 s on code-server's connection, the longest `firstPaint` waits behind one. */
const FILE_PIECE_BYTES = 4 * 1024 * 1024;
/** File pieces posted but not yet delivered, once the first paint is out of the way. */
const FILE_PIECES_IN_FLIGHT = 3;

/**
 * One open volume: owns its webview panel, the decode of its file and of its overlays. Decoding starts at once,
 * in parallel with the webview's start-up; messages wait for the webview's `ready` (posting earlier would drop them).
 */
export class ViewerPanel implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly decodes = new Set<DecodeHandle<unknown>>();
  private readonly ready: Promise<void>;
  private markReady!: () => void;
  /** Settles when the image is decoded: overlays are checked against its grid. */
  private readonly imageGeometry: Promise<VolumeGeometry>;
  private settleImage!: { resolve(g: VolumeGeometry): void; reject(e: Error): void };
  private readonly timings = new Map<ViewerPhase, number>();
  private disposed = false;
  /** Kept while the panel lives so a `needVoxels` request (the webview could not use the file bytes) can be met. */
  private decodedImage: Decoded | null = null;
  /** Set once `firstPaint` is posted: from then on several file pieces may be in flight at once. */
  private firstPaintQueued = false;
  /** Sibling label maps offered in the banner (file names in the image's folder): Open accepts only these. */
  private offered: readonly string[] = [];
  private readonly onDidDisposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.onDidDisposeEmitter.event;

  constructor(
    readonly uri: vscode.Uri,
    readonly panel: vscode.WebviewPanel,
    private readonly services: ViewerServices,
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.imageGeometry = new Promise((resolve, reject) => (this.settleImage = { resolve, reject }));
    this.imageGeometry.catch(() => undefined); // observed by addOverlay; an unobserved rejection is not an error here
    const webview = panel.webview;
    webview.options = {
      enableScripts: true,
      // Only what viewerHtml loads: the bundle and its css. The volume reaches the webview as messages from the
      // host, never by URL, so the opened file's folder is not a resource root.
      localResourceRoots: [
        vscode.Uri.joinPath(services.extensionUri, 'dist', 'webview'),
        vscode.Uri.joinPath(services.extensionUri, 'media'),
      ],
    };
    this.disposables.push(
      webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      panel.onDidDispose(() => this.dispose()),
    );
    webview.html = viewerHtml(webview, services.extensionUri);
  }

  get fileName(): string {
    return path.basename(this.uri.fsPath);
  }

  /** The image's grid once decoded (rejects when it could not be opened). */
  imageGrid(): Promise<VolumeGeometry> {
    return this.imageGeometry;
  }

  /** Header grids of `paths` (headers only, in the decode worker; cancelled when the panel closes). */
  gridsOf(paths: readonly string[]): Promise<readonly GridResult[]> {
    return this.track(readGrids(this.services.worker, paths));
  }

  /** Milliseconds (since the webview script started) at which each loading phase was reached, for tests and logs. */
  timing(phase: ViewerPhase): number | undefined {
    return this.timings.get(phase);
  }

  /**
   * Decodes the file in a worker and streams it to the webview: first paint, then the full volume. In parallel, from
   * the webview's `ready` on, files whose stored voxels are the shown values are sent as their own gzip bytes.
   */
  async load(): Promise<Decoded> {
    const fileSent = this.postGzipFile();
    const handle = decodeVolume(
      this.services.worker,
      { type: 'decode', path: this.uri.fsPath, role: 'image', maxVoxels: this.services.maxVoxels },
      (paint) => {
        void this.post({ type: 'firstPaint', geometry: paint.geometry, slices: paint.slices, defaultWindow: paint.defaultWindow, isCt: paint.isCt });
        this.firstPaintQueued = true;
      },
    );
    let decoded: Decoded;
    try {
      decoded = await this.track(handle);
    } catch (err) {
      this.firstPaintQueued = true; // no first paint will come: the file pieces need not leave room for it
      const message = err instanceof Error ? err.message : String(err);
      this.settleImage.reject(new Error(`${this.fileName} could not be opened: ${message}`));
      await this.post({ type: 'error', message: `${this.fileName} could not be opened: ${message}`, fatal: true });
      throw err;
    }
    this.settleImage.resolve(decoded.geometry);
    this.services.log.info(`${this.fileName}: decoded ${decoded.geometry.dims.join('x')} ${decoded.voxelType} in ${decoded.decodeMs} ms`);
    this.decodedImage = decoded;
    await this.postVolume(decoded, (await fileSent) ? null : decoded.voxels);
    return decoded;
  }

  /**
   * Posts the file's own gzip bytes (about half the decoded volume's size; code-server's connection moves about
   * 18 MB/s) in pieces, starting at the webview's `ready`, so the transfer and the webview's native inflate overlap
   * the host's decode. Eligibility comes from the header alone (`readRawVoxels`). Until the first paint is queued
   * one piece is in flight at a time, so the small `firstPaint` message waits behind at most one. Resolves whether every piece was posted; any failure keeps the
   * decoded path (the `volume` message then carries the voxels and the webview drops the pieces).
   */
  private async postGzipFile(): Promise<boolean> {
    const raw = await readRawVoxels(this.uri.fsPath, this.services.maxVoxels);
    if (!raw) return false;
    let file: FileHandle | undefined;
    try {
      file = await open(this.uri.fsPath, 'r');
      const totalBytes = (await file.stat()).size;
      const magic = new Uint8Array(2);
      await file.read(magic, 0, 2, 0);
      if (magic[0] !== 0x1f || magic[1] !== 0x8b) return false;
      await this.ready;
      const inFlight: Promise<boolean>[] = [];
      for (let offset = 0; offset < totalBytes; ) {
        const piece = new Uint8Array(Math.min(FILE_PIECE_BYTES, totalBytes - offset));
        const { bytesRead } = await file.read(piece, 0, piece.length, offset);
        if (bytesRead !== piece.length) throw new Error(`read ${bytesRead} of ${piece.length} bytes at ${offset}: the file changed while it was sent`);
        // A failed post counts as not delivered; pending ones are not awaited after an early return.
        inFlight.push(this.post({ type: 'volumeFileChunk', gzip: piece.buffer, offset, totalBytes, raw }).catch(() => false));
        offset += bytesRead;
        // One piece at a time until the first paint is queued (it waits behind at most one), then a few at once so
        // the connection never idles between two pieces.
        const limit = this.firstPaintQueued ? FILE_PIECES_IN_FLIGHT : 1;
        while (inFlight.length >= limit) if (!(await inFlight.shift())) return false;
      }
      for (const posted of inFlight) if (!(await posted)) return false;
      return true;
    } catch (err) {
      this.services.log.warn(`${this.fileName}: posting the file bytes failed, posting decoded voxels instead: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    } finally {
      await file?.close().catch(() => undefined); // a failed close must not fail the load
    }
  }

  private async postVolume(decoded: Decoded, voxels: ArrayBuffer | null): Promise<void> {
    await this.post({
      type: 'volume',
      fileName: this.fileName,
      geometry: decoded.geometry,
      voxelType: decoded.voxelType,
      voxels,
      fullRange: decoded.fullRange,
      defaultWindow: decoded.defaultWindow,
      isCt: decoded.isCt,
      header: decoded.header,
      decodeMs: decoded.decodeMs,
    });
  }

  /**
   * Decodes a label map and shows it over the image, placed voxel for voxel or by its affine; refuses (throws an
   * Error with the reason) a map outside the image or with several frames. Resolves with a note for the user.
   * `names` (label value -> name, e.g. a model's classes after Segment Organs) name the legend's rows; colours stay
   * the table's.
   */
  async addOverlay(overlayUri: vscode.Uri, names?: ReadonlyMap<number, string>): Promise<string> {
    const overlayName = path.basename(overlayUri.fsPath);
    const handle = decodeVolume(this.services.worker, { type: 'decode', path: overlayUri.fsPath, role: 'overlay', maxVoxels: this.services.maxVoxels });
    const [overlay, image] = await Promise.all([this.track(handle), this.imageGeometry]);
    const placement = placeOverlay(image, overlay.geometry, this.fileName, overlayName);
    if (placement.kind === 'refused') throw new Error(placement.message);
    if (!overlay.integerValued || overlay.voxelType === 'float32') {
      throw new Error(`${overlayName} holds non-integer values (range ${overlay.fullRange.min}..${overlay.fullRange.max}); a label overlay must be an integer label map.`);
    }
    const table = chooseLabelTable(overlayName, overlay.labelIds, overlay.description);
    const note = placement.kind === 'by-affine' ? placement.note : null;
    await this.post({
      type: 'overlay',
      fileName: overlayName,
      geometry: overlay.geometry,
      voxelType: overlay.voxelType,
      voxels: overlay.voxels,
      table: table.id,
      labels: presentLabels(table, overlay.labelIds).map((l) => ({ ...l, name: names?.get(l.id) ?? l.name })),
      placementNote: note,
    });
    return note ?? `${overlayName}: ${overlay.labelIds.filter((id) => id > 0).length} labels (${table.title} colours).`;
  }

  /** Offers label maps next to the image in the webview's banner (an empty list says there are none). */
  async offerOverlays(fileNames: readonly string[]): Promise<void> {
    this.offered = fileNames;
    await this.post({ type: 'overlayOffer', files: fileNames });
  }

  /** Posts after `ready`. Returns whether the webview accepted it (false once the panel is gone). */
  async post(message: HostToWebview): Promise<boolean> {
    await this.ready;
    if (this.disposed) return false;
    return this.panel.webview.postMessage(message);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const d of this.decodes) d.cancel();
    this.settleImage.reject(new Error('the viewer was closed'));
    this.markReady();
    this.onDidDisposeEmitter.fire();
    this.onDidDisposeEmitter.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private async track<T>(handle: DecodeHandle<T>): Promise<T> {
    this.decodes.add(handle);
    try {
      return await handle.result;
    } finally {
      this.decodes.delete(handle);
    }
  }

  private onMessage(message: unknown): void {
    if (!isWebviewToHost(message)) return;
    const m: WebviewToHost = message;
    switch (m.type) {
      case 'ready':
        this.markReady();
        void this.panel.webview.postMessage({ type: 'init', fileName: this.fileName, savedState: this.savedState(), convention: viewerConvention() } satisfies HostToWebview);
        break;
      case 'viewState':
        void this.services.viewState.update(STATE_KEY_PREFIX + this.uri.toString(), m.state);
        break;
      case 'pickOverlay':
        void vscode.commands.executeCommand('anadiff.viewer.openLabelOverlay');
        break;
      case 'openOffered':
        // Only a file the host offered: the webview's word alone never names a file to open.
        if (this.offered.includes(m.fileName)) void vscode.commands.executeCommand('anadiff.viewer.openLabelOverlay', vscode.Uri.joinPath(this.uri, '..', m.fileName));
        else this.services.log.warn(`${this.fileName}: ignored an offer for ${m.fileName}, which was not offered`);
        break;
      case 'timing':
        this.timings.set(m.phase, m.ms);
        if (m.phase === 'interactive') this.decodedImage = null; // NiiVue has the volume: no resend can be asked for
        this.services.log.info(`${this.fileName}: ${m.phase} after ${Math.round(m.ms)} ms`);
        break;
      case 'needVoxels':
        this.services.log.warn(`${this.fileName}: the webview could not use the file bytes (${m.reason}); posting decoded voxels`);
        if (this.decodedImage) void this.postVolume(this.decodedImage, this.decodedImage.voxels);
        break;
      case 'error':
        this.services.log.error(`${this.fileName}: ${m.message}`);
        void vscode.window.showErrorMessage(`AnaDiff viewer: ${m.message}`);
        break;
      default: {
        const unhandled: never = m;
        void unhandled;
      }
    }
  }

  private savedState(): ViewerState | null {
    return this.services.viewState.get<ViewerState>(STATE_KEY_PREFIX + this.uri.toString()) ?? null;
  }
}

/** The `anadiff.viewer.convention` setting, read when a viewer opens (a change applies to the next one opened). */
function viewerConvention(): ViewerConvention {
  return parseConvention(vscode.workspace.getConfiguration('anadiff.viewer').get<unknown>('convention'));
}
