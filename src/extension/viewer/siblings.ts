import * as vscode from 'vscode';
import * as path from 'node:path';
import { sameGrid } from '../../core/viewer/overlay-grid.js';
import { segmentationCandidates } from '../../core/viewer/siblings.js';
import { readGrids, type WorkerSpec } from './decode-client.js';
import type { ViewerPanel, ViewerServices } from './panel.js';

/**
 * After an image opens: finds label maps next to it on the same grid (headers only) and offers them in the viewer's
 * own banner (the panel remembers them so that Open can only open what was offered). A notification toast was
 * missed by users: it can go straight into the notification centre.
 */
export async function offerSiblingOverlays(panel: ViewerPanel, services: ViewerServices): Promise<void> {
  let matches: vscode.Uri[] = [];
  try {
    matches = await sameGridSiblings(panel.uri, services.worker);
  } catch (err) {
    // An unreadable folder or header only means nothing is offered; the webview still hears that (an empty offer).
    services.log.warn(`${panel.fileName}: looking for label maps next to it failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  await panel.offerOverlays(matches.map((uri) => path.basename(uri.fsPath)));
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
