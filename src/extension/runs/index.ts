/**
 * The workbench's training side: the AnaDiff activity-bar container's Runs tree, the run monitor, the Runs commands
 * and a status-bar item while a job started by this editor runs.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeRun, type RunSummary } from '../../core/runs/summary.js';
import { JobManager } from '../jobs/job-manager.js';
import { registerRunCommands } from './commands.js';
import { RunsModel } from './runs-model.js';
import { RUNS_VIEW_ID, RunsTreeProvider } from './runs-tree.js';

export interface RunsApi {
  /** The runs root now (undefined without a workspace folder). */
  readonly runsRoot: () => string | undefined;
  /** Every run folder's summary, newest first. */
  readonly summaries: () => RunSummary[];
}

export function activateRuns(context: vscode.ExtensionContext): RunsApi {
  const jobs = new JobManager(context.extensionPath, path.join(context.logUri.fsPath, 'jobs'));
  const model = new RunsModel((runDir) => jobs.isRunning(runDir));
  const tree = new RunsTreeProvider(model);
  const status = vscode.window.createStatusBarItem('anadiff.runs.job', vscode.StatusBarAlignment.Left, 10);
  status.name = 'AnaDiff Training';

  const updateStatus = (): void => {
    const running = jobs.running();
    const job = running[0];
    if (!job) {
      status.hide();
      return;
    }
    const summary = model.get(job.runDir)?.summary;
    const more = running.length > 1 ? ` (+${running.length - 1})` : '';
    status.text = `$(sync~spin) ${path.basename(job.runDir)}${summary?.step !== undefined && summary.totalSteps !== undefined ? ` ${summary.step}/${summary.totalSteps}` : ''}${more}`;
    status.tooltip = `AnaDiff: ${job.kind} ${summary ? describeRun(summary) : 'starting'}. Click to open the run monitor.`;
    status.command = { command: 'anadiff.runs.openMonitor', title: 'Open Run Monitor', arguments: [job.runDir] };
    status.show();
  };

  context.subscriptions.push(
    jobs,
    model,
    tree,
    status,
    vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: tree, showCollapseAll: false }),
    jobs.onDidChange((job) => {
      model.refresh(job.runDir);
      updateStatus();
    }),
    model.onDidChange(() => updateStatus()),
    ...registerRunCommands({ extensionUri: context.extensionUri, model, jobs }),
  );
  return { runsRoot: () => model.runsRoot, summaries: () => model.list().map((r) => r.summary) };
}
