/**
 * Compare Pretraining Methods… (palette): `anadiff compare` as a job of the editor. The user picks the smoke test,
 * a compare config in the workspace (files whose "format" is anadiff-compare-config; the contributed JSON schema gives
 * them completion and validation), or has a config written to edit first. The job runs the bundled CLI in a child
 * process (like every job); a notification follows the compare's log and its Cancel stops the job after the current
 * run's checkpoint (the same command continues it). When it ends, the report opens as a Markdown preview.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SMOKE_CONFIG } from '../../core/compare/config.js';
import type { JobManager } from '../jobs/job-manager.js';
import { loadRunsSettings } from './settings.js';

const FORMAT = '"anadiff-compare-config"';
/** The file name New config… writes (matched by the contributed schema's fileMatch). */
export const COMPARE_CONFIG_FILE = 'experiment.anadiff-compare.json';

interface Deps {
  readonly jobs: JobManager;
  readonly requireTrust: () => boolean;
}

/** The first 2 kB of a file (where a compare config names its format), without reading a large JSON file whole. */
function headOf(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(2048);
    return buffer.toString('utf8', 0, readSync(fd, buffer, 0, buffer.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** Workspace JSON files that are compare configs (the format field, read from the first 2 kB). */
async function findConfigs(): Promise<vscode.Uri[]> {
  const files = await vscode.workspace.findFiles('**/*.json', '{**/node_modules/**,**/.anadiff/**}', 500);
  return files.filter((uri) => {
    try {
      return headOf(uri.fsPath).includes(FORMAT);
    } catch {
      return false;
    }
  }).sort((a, b) => a.fsPath.localeCompare(b.fsPath));
}

/** Writes the smoke experiment as an editable config (never over an existing file) and opens it. */
async function writeConfigToEdit(folder: vscode.WorkspaceFolder): Promise<void> {
  const target = path.join(folder.uri.fsPath, COMPARE_CONFIG_FILE);
  if (existsSync(target)) {
    void vscode.window.showInformationMessage(`AnaDiff: ${COMPARE_CONFIG_FILE} already exists; it is opened instead of being overwritten.`);
  } else {
    const { format, version, ...rest } = SMOKE_CONFIG;
    writeFileSync(target, `${JSON.stringify({ format, version, ...rest, name: 'experiment' }, null, 2)}\n`, { flag: 'wx' });
  }
  await vscode.window.showTextDocument(vscode.Uri.file(target));
}

type Choice = { label: string; detail: string; id: 'smoke' | 'config' | 'new' | 'browse'; uri?: vscode.Uri };

export async function comparePretrainingMethods(deps: Deps): Promise<void> {
  if (!deps.requireTrust()) return;
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showErrorMessage('AnaDiff: open a folder first: the comparison is written under its .anadiff/compare.');
    return;
  }
  const configs = await findConfigs();
  const choices: Choice[] = [
    { label: 'Smoke test', detail: 'every arm on the built-in phantom, tiny backbone, a few steps: checks the chain (a few minutes)', id: 'smoke' },
    ...configs.map((uri): Choice => ({ label: vscode.workspace.asRelativePath(uri), detail: 'run this experiment (resumes what an earlier run left)', id: 'config', uri })),
    { label: 'New config to edit…', detail: `writes ${COMPARE_CONFIG_FILE} (the smoke experiment) and opens it; run it from here afterwards`, id: 'new' },
    { label: 'Browse…', detail: 'a compare config elsewhere', id: 'browse' },
  ];
  const picked = await vscode.window.showQuickPick(choices, { title: 'Compare Pretraining Methods: experiment', placeHolder: 'Run which experiment?' });
  if (!picked) return;
  if (picked.id === 'new') return writeConfigToEdit(folder);
  let configPath: string | undefined;
  if (picked.id === 'config') configPath = picked.uri!.fsPath;
  if (picked.id === 'browse') {
    const chosen = await vscode.window.showOpenDialog({ canSelectFiles: true, filters: { 'Compare config': ['json'] }, defaultUri: folder.uri, openLabel: 'Compare' });
    if (!chosen?.[0]) return;
    configPath = chosen[0].fsPath;
  }
  const name = configPath ? path.basename(configPath).replace(/(\.anadiff-compare)?\.json$/, '') : 'smoke';
  const compareDir = path.join(folder.uri.fsPath, '.anadiff', 'compare', name);
  const settings = loadRunsSettings();
  const args = [
    'compare', ...(configPath ? ['--config', configPath] : ['--smoke']), '--run-dir', compareDir,
    '--device', settings.device, ...(settings.threads ? ['--threads', String(settings.threads)] : []),
  ];
  await runCompareJob(deps, compareDir, args, folder.uri.fsPath, name);
}

/** The last line of the compare's log (small: a line per stage), for the notification. */
function lastLogLine(compareDir: string): string | undefined {
  const log = path.join(compareDir, 'compare.log');
  if (!existsSync(log) || statSync(log).size === 0) return undefined;
  const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
  return lines[lines.length - 1]?.replace(/^\S+ /, '');
}

async function runCompareJob(deps: Deps, compareDir: string, args: readonly string[], cwd: string, name: string): Promise<void> {
  const job = deps.jobs.start('compare', compareDir, args, cwd);
  const exit = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `AnaDiff: comparing pretraining methods (${name})`, cancellable: true },
    async (progress, token) => {
      token.onCancellationRequested(() => deps.jobs.stop(compareDir));
      const timer = setInterval(() => {
        const line = lastLogLine(compareDir);
        if (line) progress.report({ message: line });
      }, 2_000);
      try {
        return await job.child.done;
      } finally {
        clearInterval(timer);
      }
    },
  );
  const report = path.join(compareDir, 'report.md');
  if (exit.code === 0 || (exit.code === 130 && existsSync(report))) {
    await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(report));
    if (exit.code === 130) void vscode.window.showInformationMessage(`AnaDiff: the comparison stopped; its report shows what finished. Run the same experiment again to continue.`);
    return;
  }
  void vscode.window.showErrorMessage(`AnaDiff: the comparison ${name} failed (exit ${exit.code ?? exit.signal}): ${exit.stderrTail.split('\n').slice(-3).join(' ')}`);
}
