import * as vscode from 'vscode';
import { registerSegmentCommand } from './segment/command.js';
import { activateRuns, type RunsApi } from './runs/index.js';
import { activateViewer, type ViewerApi } from './viewer/index.js';

/** The extension's API (what `vscode.extensions.getExtension('anadiff.anadiff').exports` returns). */
export interface AnadiffApi {
  readonly viewer: ViewerApi;
  readonly runs: RunsApi;
}

/** Entry point: registers every contribution. Each feature module registers its disposables on the context. */
export function activate(context: vscode.ExtensionContext): AnadiffApi {
  const viewer = activateViewer(context);
  context.subscriptions.push(...registerSegmentCommand(context, viewer));
  return { viewer, runs: activateRuns(context) };
}

export function deactivate(): void {}
