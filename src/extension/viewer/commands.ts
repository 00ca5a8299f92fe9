import * as vscode from 'vscode';
import * as path from 'node:path';
import { findPreset, WINDOW_PRESETS, type WindowPresetId } from '../../core/viewer/window.js';
import { LAYOUTS, VOLUME_VIEWER_VIEW_TYPE, type Layout } from '../../protocol/viewer.js';
import type { VolumeViewerProvider } from './provider.js';
import type { ViewerPanel } from './panel.js';

/** What "Open Label Overlay…" did; returned to callers (tests, the sibling offer) besides the toast the user sees. */
export type OverlayResult = { readonly kind: 'shown'; readonly note: string } | { readonly kind: 'refused'; readonly message: string } | { readonly kind: 'cancelled' };

/** The viewer's palette commands. Each needs an open viewer and says so when there is none. */
export function registerViewerCommands(provider: VolumeViewerProvider): vscode.Disposable[] {
  const withPanel = <A extends unknown[], R>(run: (panel: ViewerPanel, ...args: A) => Promise<R>) =>
    async (...args: A): Promise<R | undefined> => {
      const panel = provider.activePanel();
      if (!panel) {
        void vscode.window.showWarningMessage('Open a .nii or .nii.gz volume in the AnaDiff viewer first.');
        return undefined;
      }
      return run(panel, ...args);
    };
  return [
    vscode.commands.registerCommand('anadiff.viewer.open', openInViewer),
    vscode.commands.registerCommand('anadiff.viewer.openLabelOverlay', withPanel(openLabelOverlay)),
    vscode.commands.registerCommand('anadiff.viewer.windowPreset', withPanel(async (panel, id?: WindowPresetId) => {
      const preset = id ? findPreset(id) : await pickPreset();
      if (preset) await panel.post({ type: 'applyPreset', preset: preset.id });
      return preset?.id;
    })),
    vscode.commands.registerCommand('anadiff.viewer.setLayout', withPanel(async (panel, layout?: Layout) => {
      const chosen = layout && LAYOUTS.includes(layout) ? layout : await pickLayout();
      if (chosen) await panel.post({ type: 'setLayout', layout: chosen });
      return chosen;
    })),
    vscode.commands.registerCommand('anadiff.viewer.toggleRadiological', withPanel((panel) => panel.post({ type: 'toggleRadiological' }))),
    vscode.commands.registerCommand('anadiff.viewer.toggleHeader', withPanel((panel) => panel.post({ type: 'toggleHeader' }))),
  ];
}

/** Opens a volume in the viewer: the explorer's file, else the active tab's NIfTI file, else one the user picks. */
async function openInViewer(uri?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const activeUri = input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom ? input.uri : undefined;
  const isNifti = (u: vscode.Uri | undefined): u is vscode.Uri => u !== undefined && /\.nii(\.gz)?$/i.test(u.path);
  const target = uri instanceof vscode.Uri ? uri : isNifti(activeUri) ? activeUri : (await vscode.window.showOpenDialog({
    title: 'Open a volume in the AnaDiff viewer',
    canSelectMany: false,
    openLabel: 'Open',
    filters: { 'NIfTI volumes': ['nii', 'gz'] },
  }))?.[0];
  if (target) await vscode.commands.executeCommand('vscode.openWith', target, VOLUME_VIEWER_VIEW_TYPE);
  return target;
}

async function openLabelOverlay(panel: ViewerPanel, uri?: vscode.Uri): Promise<OverlayResult> {
  const target = uri instanceof vscode.Uri ? uri : await pickOverlayFile(panel);
  if (!target) return { kind: 'cancelled' };
  try {
    const note = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Loading overlay ${vscode.workspace.asRelativePath(target)}` },
      () => panel.addOverlay(target),
    );
    void vscode.window.setStatusBarMessage(`AnaDiff: ${note}`, 8000);
    return { kind: 'shown', note };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // Modal: a refused overlay is the answer to what the user just asked for, and a toast can go unseen (straight
    // into the notification centre). Not awaited: the command's result must not wait for the dialog to close.
    void vscode.window.showErrorMessage(`AnaDiff cannot show ${path.basename(target.fsPath)} over ${panel.fileName}`, { modal: true, detail: message });
    return { kind: 'refused', message };
  }
}

async function pickOverlayFile(panel: ViewerPanel): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: `Label overlay for ${panel.fileName}`,
    defaultUri: vscode.Uri.joinPath(panel.uri, '..'),
    canSelectMany: false,
    openLabel: 'Show as overlay',
    filters: { 'NIfTI label maps': ['nii', 'gz'] },
  });
  return picked?.[0];
}

async function pickPreset(): Promise<(typeof WINDOW_PRESETS)[number] | undefined> {
  const item = await vscode.window.showQuickPick(
    WINDOW_PRESETS.map((p) => ({ label: p.title, description: `W${p.width} / L${p.level} HU`, preset: p })),
    { title: 'CT window preset' },
  );
  return item?.preset;
}

async function pickLayout(): Promise<Layout | undefined> {
  const item = await vscode.window.showQuickPick(LAYOUTS.map((l) => ({ label: l[0]?.toUpperCase() + l.slice(1), layout: l })), { title: 'Viewer layout' });
  return item?.layout;
}
