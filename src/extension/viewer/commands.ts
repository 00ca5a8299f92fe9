import * as vscode from 'vscode';
import * as path from 'node:path';
import { findPreset, WINDOW_PRESETS, type WindowPresetId } from '../../core/viewer/window.js';
import { LAYOUTS, VOLUME_VIEWER_VIEW_TYPE, type Layout } from '../../protocol/viewer.js';
import type { VolumeViewerProvider } from './provider.js';
import type { ViewerPanel } from './panel.js';
import { rankOverlayChoices, type OverlayChoice, type OverlayFit } from '../../core/viewer/overlay-choices.js';
import { isNiftiName } from '../../core/viewer/siblings.js';

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

/** Files the picker looks at: the workspace's NIfTI files (a bounded search) and the image's own folder. */
const PICKER_MAX_FILES = 200;

type ChoiceItem = vscode.QuickPickItem & { readonly choice?: OverlayChoice };

/**
 * The overlay QuickPick: NIfTI files ranked by `rankOverlayChoices` (same grid first, the open image left out), with
 * section separators and a last "Browse…" entry that opens the file dialog. Headers are read in the decode worker.
 */
async function pickOverlayFile(panel: ViewerPanel): Promise<vscode.Uri | undefined> {
  const quickPick = vscode.window.createQuickPick<ChoiceItem>();
  quickPick.title = `Label overlay for ${panel.fileName}`;
  quickPick.placeholder = 'NIfTI files on the same grid come first';
  quickPick.busy = true;
  quickPick.matchOnDescription = true;
  // The viewer's webview takes focus when its page finishes loading; a picker opened just after opening the file
  // would vanish on that focus change (seen in the e2e run). Escape still closes it.
  quickPick.ignoreFocusOut = true;
  quickPick.show();
  try {
    const [image, uris] = await Promise.all([panel.imageGrid(), overlayCandidateUris(panel.uri)]);
    const grids = uris.length ? await panel.gridsOf(uris.map((u) => u.fsPath)) : [];
    const ranked = rankOverlayChoices(panel.uri.fsPath, image, grids.map((g) => ({ path: g.path, grid: 'error' in g ? { error: g.error } : g })));
    quickPick.items = choiceItems(ranked);
  } catch (err) {
    // The image did not open or a header read failed: Browse… still works.
    quickPick.items = choiceItems([{ kind: 'browse' }]);
    quickPick.placeholder = err instanceof Error ? err.message : String(err);
  }
  quickPick.busy = false;
  const picked = await new Promise<ChoiceItem | undefined>((resolve) => {
    quickPick.onDidAccept(() => resolve(quickPick.selectedItems[0]));
    quickPick.onDidHide(() => resolve(undefined));
  });
  quickPick.dispose();
  if (!picked?.choice) return undefined;
  if (picked.choice.kind === 'file') return vscode.Uri.file(picked.choice.path);
  return browseOverlayFile(panel);
}

function choiceItems(ranked: readonly OverlayChoice[]): ChoiceItem[] {
  const sections: Record<OverlayFit, string> = { 'same-grid': 'same grid', 'by-affine': 'other grid: placed by its affine', refused: 'cannot be shown over this image', unreadable: 'unreadable' };
  const items: ChoiceItem[] = [];
  let section: string | undefined;
  for (const choice of ranked) {
    const title = choice.kind === 'file' ? sections[choice.fit] : '';
    if (title !== section) {
      items.push({ label: title, kind: vscode.QuickPickItemKind.Separator });
      section = title;
    }
    if (choice.kind === 'browse') {
      items.push({ label: '$(folder-opened) Browse…', description: 'a file outside this list', alwaysShow: true, choice });
    } else {
      // The folder, relative to the workspace ("" at its root); files outside it show their full folder.
      const folder = path.dirname(vscode.workspace.asRelativePath(vscode.Uri.file(choice.path), false));
      items.push({ label: path.basename(choice.path), ...(folder !== '.' ? { description: folder } : {}), detail: choice.reason, choice });
    }
  }
  return items;
}

/** Workspace NIfTI files plus the image's folder (the image may lie outside the workspace), each once. */
async function overlayCandidateUris(imageUri: vscode.Uri): Promise<vscode.Uri[]> {
  const found = vscode.workspace.workspaceFolders?.length
    ? await vscode.workspace.findFiles('**/*.{nii,nii.gz,NII,NII.GZ}', '**/{node_modules,.git}/**', PICKER_MAX_FILES)
    : [];
  const folder = vscode.Uri.joinPath(imageUri, '..');
  const siblings = imageUri.scheme === 'file'
    ? (await vscode.workspace.fs.readDirectory(folder)).filter(([name, type]) => (type & vscode.FileType.File) !== 0 && isNiftiName(name)).map(([name]) => vscode.Uri.joinPath(folder, name))
    : [];
  const byPath = new Map([...siblings, ...found].filter((u) => u.scheme === 'file').map((u) => [u.fsPath, u]));
  return [...byPath.values()];
}

async function browseOverlayFile(panel: ViewerPanel): Promise<vscode.Uri | undefined> {
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
