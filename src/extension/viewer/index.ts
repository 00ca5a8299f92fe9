import * as vscode from 'vscode';
import { registerViewerCommands } from './commands.js';
import { registerVolumeViewer, VolumeViewerProvider } from './provider.js';

/** Largest volume the viewer decodes (voxels of one frame): 512^3, about 0.5 GB as int16 in the webview. */
const MAX_VIEWER_VOXELS = 512 ** 3;

/** What the extension exposes about its viewers (used by the integration tests). */
export interface ViewerApi {
  /** Load milestones (ms since the webview script started) of the viewer showing `uri`, once reached. */
  timings(uri: vscode.Uri): { firstPaint?: number; interactive?: number; overlay?: number } | undefined;
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
