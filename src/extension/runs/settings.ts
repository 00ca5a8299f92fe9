/** The Runs and jobs settings (package.json contributes.configuration), read in one place with their defaults. */
import * as vscode from 'vscode';
import type { ProviderChoice } from '../../node/engine/providers.js';

export interface RunsSettings {
  /** Runs root, relative to the first workspace folder unless absolute. */
  readonly folder: string;
  /** More folders of run folders to show (a cluster's scratch, another checkout), relative or absolute. */
  readonly extraFolders: readonly string[];
  /** Execution provider passed to `train --device`. */
  readonly device: ProviderChoice;
  /** `train --threads`; undefined: the CLI's default (every core). */
  readonly threads: number | undefined;
}

/** `scope`: the workspace folder the runs root belongs to (the folder setting is resource-scoped). */
export function loadRunsSettings(scope: vscode.Uri | null = vscode.workspace.workspaceFolders?.[0]?.uri ?? null): RunsSettings {
  const c = vscode.workspace.getConfiguration('anadiff', scope);
  const device = c.get<string>('jobs.device', 'auto');
  const threads = c.get<number>('jobs.threads', 0);
  return {
    folder: c.get<string>('runs.folder', '.anadiff/runs') || '.anadiff/runs',
    extraFolders: (c.get<unknown[]>('runs.extraFolders', []) ?? []).filter((f): f is string => typeof f === 'string' && f !== ''),
    device: device === 'cpu' || device === 'cuda' ? device : 'auto',
    threads: Number.isInteger(threads) && threads > 0 ? threads : undefined,
  };
}
