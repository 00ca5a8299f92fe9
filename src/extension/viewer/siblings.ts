import * as vscode from 'vscode';
import * as path from 'node:path';
import { sameGrid } from '../../core/viewer/overlay-grid.js';
import { segmentationCandidates } from '../../core/viewer/siblings.js';
import { readGrids, type WorkerSpec } from './decode-client.js';
import type { ViewerPanel, ViewerServices } from './panel.js';

/**
 * After an image opens: finds label maps next to it on the same grid (headers only) and offers them in a
 * notification. Silent when there are none, and in tests (ANADIFF_TEST) where a toast would cover the viewer.
 */
export async function offerSiblingOverlays(panel: ViewerPanel, services: ViewerServices): Promise<void> {
  const matches = await sameGridSiblings(panel.uri, services.worker);
  if (matches.length === 0 || process.env.ANADIFF_TEST) return;
  const first = matches[0] as vscode.Uri;
  const showFirst = `Show ${path.basename(first.fsPath)}`;
  const choose = 'Choose…';
  const picked = await vscode.window.showInformationMessage(
    `${matches.length === 1 ? 'A label map' : `${matches.length} label maps`} on the same grid as ${panel.fileName} ${matches.length === 1 ? 'is' : 'are'} next to it.`,
    showFirst,
    ...(matches.length > 1 ? [choose] : []),
  );
  if (picked === showFirst) await vscode.commands.executeCommand('anadiff.viewer.openLabelOverlay', first);
  else if (picked === choose) {
    const item = await vscode.window.showQuickPick(matches.map((uri) => ({ label: path.basename(uri.fsPath), uri })), { title: 'Show a label overlay' });
    if (item) await vscode.commands.executeCommand('anadiff.viewer.openLabelOverlay', item.uri);
  }
}

/** Sibling files named like segmentations whose header grid equals the image's. */
export async function sameGridSiblings(imageUri: vscode.Uri, worker: WorkerSpec): Promise<vscode.Uri[]> {
  if (imageUri.scheme !== 'file') return [];
  const folder = vscode.Uri.joinPath(imageUri, '..');
  const entries = await vscode.workspace.fs.readDirectory(folder);
  const names = entries.filter(([, type]) => (type & vscode.FileType.File) !== 0).map(([name]) => name);
  const candidates = segmentationCandidates(path.basename(imageUri.fsPath), names).map((n) => vscode.Uri.joinPath(folder, n));
  if (candidates.length === 0) return [];
  const grids = await readGrids(worker, [imageUri.fsPath, ...candidates.map((u) => u.fsPath)]).result;
  const [image, ...others] = grids;
  if (!image || 'error' in image) return [];
  return candidates.filter((_, i) => {
    const g = others[i];
    return g !== undefined && !('error' in g) && sameGrid(image, g);
  });
}
