import * as vscode from 'vscode';
import { VOLUME_VIEWER_VIEW_TYPE } from '../../protocol/viewer.js';
import { ViewerPanel, type ViewerServices } from './panel.js';
import { offerSiblingOverlays } from './siblings.js';

/** A read-only volume: the viewer never writes the file, so the document is only its URI. */
class VolumeDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri) {}
  dispose(): void {}
}

/**
 * The `anadiff.volumeViewer` custom editor for .nii / .nii.gz. Keeps the open panels so palette commands can
 * reach the active one.
 */
export class VolumeViewerProvider implements vscode.CustomReadonlyEditorProvider<VolumeDocument> {
  private readonly panels = new Set<ViewerPanel>();
  private active: ViewerPanel | undefined;

  constructor(private readonly services: ViewerServices) {}

  openCustomDocument(uri: vscode.Uri): VolumeDocument {
    return new VolumeDocument(uri);
  }

  resolveCustomEditor(document: VolumeDocument, webviewPanel: vscode.WebviewPanel): void {
    const panel = new ViewerPanel(document.uri, webviewPanel, this.services);
    this.panels.add(panel);
    this.active = panel;
    webviewPanel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) this.active = panel;
    });
    panel.onDidDispose(() => {
      this.panels.delete(panel);
      if (this.active === panel) this.active = [...this.panels].find((p) => p.panel.active);
    });
    panel.load().then(
      () => offerSiblingOverlays(panel, this.services),
      (err: unknown) => this.services.log.error(`${document.uri.fsPath}: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  /** The viewer the user is looking at (or last looked at), if any is open. */
  activePanel(): ViewerPanel | undefined {
    return this.active && this.panels.has(this.active) ? this.active : undefined;
  }

  /** A viewer showing `uri`, if one is open (tests and commands address viewers by file). */
  panelFor(uri: vscode.Uri): ViewerPanel | undefined {
    return [...this.panels].find((p) => p.uri.toString() === uri.toString());
  }
}

export function registerVolumeViewer(provider: VolumeViewerProvider): vscode.Disposable {
  return vscode.window.registerCustomEditorProvider(VOLUME_VIEWER_VIEW_TYPE, provider, {
    // Rebuilding NiiVue's textures after every tab switch costs seconds; keep the webview alive while hidden.
    webviewOptions: { retainContextWhenHidden: true },
    supportsMultipleEditorsPerDocument: true,
  });
}
