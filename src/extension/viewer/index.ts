import * as vscode from 'vscode';
import * as path from 'node:path';
import { VOLUME_VIEWER_VIEW_TYPE, type OrganStat } from '../../protocol/viewer.js';
import { registerViewerCommands } from './commands.js';
import { registerVolumeViewer, VolumeViewerProvider } from './provider.js';

/** Largest volume the viewer decodes (voxels of one frame): 512^3, about 0.5 GB as int16 in the webview. */
const MAX_VIEWER_VOXELS = 512 ** 3;

/** What the extension exposes about its viewers (used by the integration tests). */
export interface ViewerApi {
  /** Load milestones (ms since the webview script started) of the viewer showing `uri`, once reached. */
  timings(uri: vscode.Uri): { firstPaint?: number; interactive?: number; overlay?: number } | undefined;
  /**
   * Opens `image` in the viewer (or reveals it), shows `labels` over it and the organ table beside it; resolves with
   * the overlay's note. Throws when the label map cannot be shown (another grid, not integer).
   */
  showSegmentation(image: vscode.Uri, labels: vscode.Uri, organs: readonly OrganStat[], warnings: readonly string[]): Promise<string>;
}

export function activateViewer(context: vscode.ExtensionContext): ViewerApi {
  const log = vscode.window.createOutputChannel('AnaDiff Viewer', { log: true });
  const provider = new VolumeViewerProvider({
    extensionUri: context.extensionUri,
    worker: { file: vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker-viewer-decode.js').fsPath },
    viewState: context.workspaceState,
    log,
    maxVoxels: MAX_VIEWER_VOXELS,
  });
  context.subscriptions.push(log, registerVolumeViewer(provider), ...registerViewerCommands(provider));
  return {
    async showSegmentation(image, labels, organs, warnings) {
      await vscode.commands.executeCommand('vscode.openWith', image, VOLUME_VIEWER_VIEW_TYPE);
      // openWith resolves once the editor is resolved; the poll only covers a slow custom-editor resolution.
      let panel = provider.panelFor(image);
      for (let waited = 0; !panel && waited < 10_000; waited += 100) {
        await new Promise((r) => setTimeout(r, 100));
        panel = provider.panelFor(image);
      }
      if (!panel) throw new Error(`the viewer did not open ${path.basename(image.fsPath)}`);
      const note = await panel.addOverlay(labels, new Map(organs.map((o) => [o.label, o.name])));
      await panel.post({ type: 'organTable', fileName: path.basename(labels.fsPath), organs, warnings });
      return note;
    },
    timings(uri) {
      const panel = provider.panelFor(uri);
      if (!panel) return undefined;
      const out: { firstPaint?: number; interactive?: number; overlay?: number } = {};
      for (const phase of ['firstPaint', 'interactive', 'overlay'] as const) {
        const ms = panel.timing(phase);
        if (ms !== undefined) out[phase] = ms;
      }
      return out;
    },
  };
}
