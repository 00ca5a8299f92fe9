/**
 * Evaluate Segmentation… (palette): pick a predicted label map and its reference among the workspace's NIfTI files
 * (or browse), run `anadiff evaluate --json` in a child process (the one way jobs run), and show Dice and HD95 per
 * class as a Markdown preview. A reference or prediction holding label ids outside BTCV-13 is refused by the CLI; the
 * command then asks whether to score the 13 classes only (`--ignore-extra-labels`) rather than failing silently.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { evaluationMarkdown, type EvaluationJson } from '../../core/metrics/evaluation-markdown.js';
import { cliPath, startCli, type CliExit } from '../jobs/cli-child.js';

export const EVALUATE_COMMAND = 'anadiff.evaluate';
const NIFTI_GLOB = '**/*.{nii,nii.gz}';

/** Label maps first (names with _seg, _label, btcv13), then the rest, each group by path. */
function labelMapsFirst(uris: readonly vscode.Uri[]): vscode.Uri[] {
  const isLabels = (u: vscode.Uri): boolean => /(_seg|_label|labels?|btcv13|mask)/i.test(path.basename(u.fsPath));
  return [...uris].sort((a, b) => Number(isLabels(b)) - Number(isLabels(a)) || a.fsPath.localeCompare(b.fsPath));
}

async function pickLabelMap(title: string, files: readonly vscode.Uri[], exclude?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const items = [
    ...files.filter((u) => u.fsPath !== exclude?.fsPath).map((uri) => ({ label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(path.dirname(uri.fsPath)), uri })),
    { label: 'Browse…', description: 'a label map elsewhere', uri: undefined },
  ];
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: 'Label map (.nii / .nii.gz)' });
  if (!picked) return undefined;
  if (picked.uri) return picked.uri;
  return (await vscode.window.showOpenDialog({ title, canSelectMany: false, filters: { 'NIfTI label maps': ['nii', 'gz'] } }))?.[0];
}

/** `anadiff evaluate` on the two files; the parsed JSON, or the exit when it failed. */
async function runEvaluate(extensionPath: string, pred: string, ref: string, extra: readonly string[], log: vscode.LogOutputChannel): Promise<{ json?: EvaluationJson; exit: CliExit }> {
  let json: EvaluationJson | undefined;
  const args = ['evaluate', '--pred', pred, '--ref', ref, '--json', ...extra];
  log.info(`anadiff ${args.join(' ')}`);
  const child = startCli(cliPath(extensionPath), args, {
    cwd: path.dirname(ref),
    onStdoutLine: (line) => {
      try { json = JSON.parse(line) as EvaluationJson; } catch { log.info(line); }
    },
    onStderrLine: (line) => log.info(line),
  });
  const exit = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `AnaDiff: evaluating ${path.basename(pred)}`, cancellable: true }, (_, token) => {
    token.onCancellationRequested(() => child.stop());
    return child.done;
  });
  return { ...(json ? { json } : {}), exit };
}

async function evaluateSegmentation(extensionPath: string, log: vscode.LogOutputChannel): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showErrorMessage('AnaDiff: evaluation runs a job in a child process, which is disabled in an untrusted workspace. Trust the workspace to evaluate.');
    return;
  }
  const files = labelMapsFirst(await vscode.workspace.findFiles(NIFTI_GLOB, '{**/node_modules/**,**/.anadiff/**}', 2000));
  const pred = await pickLabelMap('Evaluate Segmentation (1/2): the predicted label map', files);
  if (!pred) return;
  const ref = await pickLabelMap(`Evaluate Segmentation (2/2): the reference for ${path.basename(pred.fsPath)}`, files, pred);
  if (!ref) return;
  let result = await runEvaluate(extensionPath, pred.fsPath, ref.fsPath, [], log);
  if (!result.json && /outside --classes/.test(result.exit.stderrTail)) {
    const reason = result.exit.stderrTail.trim().split('\n').at(-1)?.replace(/^anadiff: /, '') ?? '';
    const answer = await vscode.window.showWarningMessage('Score the 13 BTCV classes only?', { modal: true, detail: `${reason}\n\nOther label ids would be ignored.` }, 'Score BTCV-13 only');
    if (answer !== 'Score BTCV-13 only') return;
    result = await runEvaluate(extensionPath, pred.fsPath, ref.fsPath, ['--ignore-extra-labels'], log);
  }
  if (!result.json) {
    if (result.exit.code === 130 || result.exit.signal) return;
    const reason = result.exit.stderrTail.trim().split('\n').at(-1)?.replace(/^anadiff: /, '') ?? `exit ${result.exit.code}`;
    void vscode.window.showErrorMessage(`AnaDiff: evaluation failed: ${reason}`);
    return;
  }
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: evaluationMarkdown(result.json, vscode.workspace.asRelativePath(pred), vscode.workspace.asRelativePath(ref)) });
  await vscode.window.showTextDocument(doc, { preview: true });
}

export function registerEvaluateCommand(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): vscode.Disposable {
  return vscode.commands.registerCommand(EVALUATE_COMMAND, async () => {
    try {
      await evaluateSegmentation(context.extensionPath, log);
    } catch (error) {
      void vscode.window.showErrorMessage(`AnaDiff: ${(error as Error).message}`);
    }
  });
}
