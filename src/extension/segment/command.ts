/**
 * `AnaDiff: Segment Organs` (explorer context menu with multi-select, the viewer's title bar, the palette): pick a
 * model (the default one or a finished run), ask before replacing an existing `<name>_seg.nii.gz`, run `anadiff
 * segment` in a child process per file (one job, one cancellable progress notification, files in sequence), then open
 * each image in the viewer with its new labels as overlay and the organ table beside it. The CLI's input warnings
 * (core/infer/trust.ts: a thin slab, spacing, little body, intensities unlike CT) come as one warning notification
 * per file and above the organ table.
 *
 * Disabled in untrusted workspaces (it executes a model on the workspace's files), with a message saying so; viewing
 * stays available.
 */
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isNiftiName, segmentationFileName } from '../../core/viewer/siblings.js';
import { parseProgressLine } from '../../protocol/cli-progress.js';
import { parseSegmentSummary, type SegmentSummary } from '../../protocol/segment-summary.js';
import { cliPath, startCli, type CliChild } from '../jobs/cli-child.js';
import { registerEvaluateCommand } from './evaluate-command.js';
import type { ViewerApi } from '../viewer/index.js';
import { segmentationModels, type ModelChoice } from './models.js';

export const SEGMENT_COMMAND = 'anadiff.segment';

/** What the command did; returned to callers (tests) besides what the user sees. */
export type SegmentCommandResult =
  | { readonly kind: 'done'; readonly outputs: readonly string[]; readonly failed: readonly string[] }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'stopped'; readonly outputs: readonly string[] }
  | { readonly kind: 'refused'; readonly message: string };

interface FileJob {
  readonly input: vscode.Uri;
  readonly output: vscode.Uri;
  readonly replaces: boolean;
}

export function registerSegmentCommand(context: vscode.ExtensionContext, viewer: ViewerApi): vscode.Disposable[] {
  const log = vscode.window.createOutputChannel('AnaDiff Segment', { log: true });
  const running = new Set<CliChild>();
  const stopAll = new vscode.Disposable(() => { for (const child of running) child.stop(2000); });
  // `model`: a model chosen already (the Runs view's Segment with This Model), else the person picks one.
  const command = vscode.commands.registerCommand(SEGMENT_COMMAND, async (uri?: unknown, uris?: unknown, model?: ModelChoice): Promise<SegmentCommandResult> => {
    try {
      return await segmentOrgans(context, viewer, log, running, uri, uris, model);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log.error(message);
      void vscode.window.showErrorMessage(`AnaDiff: segmentation failed. ${message}`);
      return { kind: 'refused', message };
    }
  });
  return [log, stopAll, command, registerEvaluateCommand(context, log)];
}

async function segmentOrgans(context: vscode.ExtensionContext, viewer: ViewerApi, log: vscode.LogOutputChannel, running: Set<CliChild>, uri: unknown, uris: unknown, chosen: ModelChoice | undefined): Promise<SegmentCommandResult> {
  if (!vscode.workspace.isTrusted) {
    const message = 'Segmentation runs a model on your files, so it is disabled in an untrusted workspace (Restricted Mode). Viewing volumes still works; trust this workspace to segment.';
    void vscode.window.showWarningMessage(`AnaDiff: ${message}`, 'Manage Workspace Trust').then((picked) => {
      if (picked) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return { kind: 'refused', message };
  }
  const inputs = await chooseInputs(uri, uris);
  if (inputs.length === 0) return { kind: 'cancelled' };

  const model = chosen ?? (await pickModel(context, inputs));
  if (typeof model === 'string') return { kind: 'refused', message: model };
  if (!model) return { kind: 'cancelled' };

  const jobs: FileJob[] = inputs.map((input) => {
    const output = vscode.Uri.file(path.join(path.dirname(input.fsPath), segmentationFileName(path.basename(input.fsPath))));
    return { input, output, replaces: fs.existsSync(output.fsPath) };
  });
  const existing = jobs.filter((j) => j.replaces).map((j) => path.basename(j.output.fsPath));
  if (existing.length > 0) {
    const overwrite = 'Overwrite';
    const answer = await vscode.window.showWarningMessage(
      existing.length === 1 ? `${existing[0]} exists. Overwrite it?` : `${existing.length} label maps exist (${existing.join(', ')}). Overwrite them?`,
      { modal: true, detail: 'Segment Organs writes <name>_seg.nii.gz next to each volume.' },
      overwrite,
    );
    if (answer !== overwrite) return { kind: 'cancelled' };
  }
  return runJobs(context, viewer, log, running, jobs, model);
}

/** The default model or a finished run of the workspace; a message (shown already) when there is none. */
async function pickModel(context: vscode.ExtensionContext, inputs: readonly vscode.Uri[]): Promise<ModelChoice | string | undefined> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  const models = segmentationModels(context.extensionPath, folders);
  if (models.length === 0) {
    const message = 'no segmentation model: the default model is missing from the extension (models/default/model.onnx) and no training run in .anadiff/runs has finished.';
    void vscode.window.showErrorMessage(`AnaDiff: ${message}`);
    return message;
  }
  const what = inputs.length === 1 ? path.basename(inputs[0]!.fsPath) : `${inputs.length} volumes`;
  const picked = await vscode.window.showQuickPick(models.map((m) => ({ ...m, choice: m })), { title: `Segment ${what} with`, placeHolder: 'Model' });
  return picked?.choice;
}

/** The explorer's selection (multi-select passes every file), the viewer's file, the active tab, or an open dialog. */
async function chooseInputs(uri: unknown, uris: unknown): Promise<vscode.Uri[]> {
  const given = Array.isArray(uris) && uris.length > 0 ? uris.filter((u): u is vscode.Uri => u instanceof vscode.Uri) : uri instanceof vscode.Uri ? [uri] : [];
  let candidates = given;
  if (candidates.length === 0) {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    const active = input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
    if (active && isNiftiName(path.basename(active.path))) candidates = [active];
  }
  if (candidates.length === 0) {
    candidates = (await vscode.window.showOpenDialog({ title: 'Volumes to segment', canSelectMany: true, openLabel: 'Segment', filters: { 'NIfTI volumes': ['nii', 'gz'] } })) ?? [];
  }
  const usable = candidates.filter((u) => u.scheme === 'file' && isNiftiName(path.basename(u.fsPath)));
  const skipped = candidates.filter((u) => !usable.includes(u)).map((u) => path.basename(u.path));
  if (skipped.length > 0) void vscode.window.showWarningMessage(`AnaDiff: Segment Organs takes local .nii / .nii.gz files; skipped ${skipped.join(', ')}.`);
  return usable;
}

/** One job: the files in sequence, one child process each, one progress notification whose Cancel stops the current file. */
async function runJobs(context: vscode.ExtensionContext, viewer: ViewerApi, log: vscode.LogOutputChannel, running: Set<CliChild>, jobs: readonly FileJob[], model: ModelChoice): Promise<SegmentCommandResult> {
  const done: { job: FileJob; summary: SegmentSummary }[] = [];
  const failed: string[] = [];
  let stopped = false;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'AnaDiff: Segmenting', cancellable: true }, async (progress, token) => {
    let reported = 0;
    const report = (fraction: number, message: string): void => {
      const percent = Math.min(100, fraction * 100);
      progress.report({ message, increment: Math.max(0, percent - reported) });
      reported = Math.max(reported, percent);
    };
    for (const [index, job] of jobs.entries()) {
      if (token.isCancellationRequested) break;
      const name = path.basename(job.input.fsPath);
      const prefix = jobs.length > 1 ? `${name} (${index + 1} of ${jobs.length})` : name;
      report(index / jobs.length, `${prefix}: loading ${model.label}…`);
      const args = ['segment', '--input', job.input.fsPath, '--output', job.output.fsPath, '--model', model.modelPath, '--json', '--progress-json', ...(job.replaces ? ['--overwrite'] : [])];
      log.info(`anadiff ${args.join(' ')}`);
      let summary: unknown;
      const child = startCli(cliPath(context.extensionPath), args, {
        cwd: path.dirname(job.input.fsPath),
        onStdoutLine: (line) => {
          try { summary = JSON.parse(line); } catch { log.info(line); }
        },
        onStderrLine: (line) => {
          const update = parseProgressLine(line);
          if (update) report((index + update.done / update.total) / jobs.length, `${prefix}: ${update.unit} ${update.done} of ${update.total}`);
          else log.info(line);
        },
      });
      running.add(child);
      const cancel = token.onCancellationRequested(() => child.stop());
      const exit = await child.done.finally(() => { running.delete(child); cancel.dispose(); });
      if (exit.code === 0) {
        const parsed = parseSegmentSummary(summary);
        done.push({ job, summary: parsed });
        if (parsed.warnings.length > 0) {
          log.warn(`${name}: ${parsed.warnings.join(' | ')}`);
          void vscode.window.showWarningMessage(`AnaDiff: ${name} is outside what the model was trained on; its labels may be unreliable. ${parsed.warnings.map((w, i) => (parsed.warnings.length > 1 ? `(${i + 1}) ${w}.` : `${w}.`)).join(' ')}`);
        }
        continue;
      }
      if (token.isCancellationRequested) {
        stopped = true;
        log.info(`${name}: stopped (${exit.signal ?? `exit ${exit.code}`})`);
        break;
      }
      const reason = exit.stderrTail.split('\n').filter((l) => !parseProgressLine(l)).at(-1) ?? `exit ${exit.code ?? exit.signal}`;
      failed.push(name);
      log.error(`${name}: ${exit.stderrTail}`);
      void vscode.window.showErrorMessage(`AnaDiff: segmenting ${name} failed: ${reason.replace(/^anadiff: /, '')}`);
    }
  });
  for (const { job, summary } of done) {
    try {
      await viewer.showSegmentation(job.input, job.output, summary.organs, summary.warnings);
    } catch (err) {
      void vscode.window.showErrorMessage(`AnaDiff: ${path.basename(job.output.fsPath)} was written but cannot be shown: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const outputs = done.map((d) => d.job.output.fsPath);
  if (stopped) {
    const notWritten = jobs.slice(done.length + failed.length).map((j) => path.basename(j.output.fsPath));
    void vscode.window.showInformationMessage(`AnaDiff: segmentation stopped; ${notWritten.join(', ')} ${notWritten.length === 1 ? 'was' : 'were'} not written.`);
    return { kind: 'stopped', outputs };
  }
  if (outputs.length > 0) void vscode.window.setStatusBarMessage(`AnaDiff: wrote ${outputs.map((o) => path.basename(o)).join(', ')}`, 10_000);
  return { kind: 'done', outputs, failed };
}
