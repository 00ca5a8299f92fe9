/**
 * The workbench's training side: the AnaDiff activity-bar container's Runs tree, the run monitor, the Runs commands
 * and a status-bar item while a job started by this editor runs.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeRun, type RunSummary } from '../../core/runs/summary.js';
import { JobManager } from '../jobs/job-manager.js';
import { RUN_MONITOR_VIEW_TYPE } from '../../protocol/monitor.js';
import { registerRunCommands } from './commands.js';
import { RunMonitorPanel } from './monitor-panel.js';
import { RunsModel } from './runs-model.js';
import { RUNS_VIEW_ID, RunsTreeProvider } from './runs-tree.js';

export interface RunsApi {
  /** The runs root now (undefined without a workspace folder). */
  readonly runsRoot: () => string | undefined;
  /** Every run folder's summary, newest first. */
  readonly summaries: () => RunSummary[];
}

export function activateRuns(context: vscode.ExtensionContext): RunsApi {
  const jobs = new JobManager(context.extensionPath, path.join(context.logUri.fsPath, 'jobs'), context.workspaceState);
  // started before a window reload and still holding their run.lock: shown in the status bar until they end
  const reattached = new Set(jobs.reattached());
  const log = vscode.window.createOutputChannel('AnaDiff Runs', { log: true });
  const model = new RunsModel((runDir) => jobs.isRunning(runDir), log);
  const tree = new RunsTreeProvider(model);
  const status = vscode.window.createStatusBarItem('anadiff.runs.job', vscode.StatusBarAlignment.Left, 10);
  status.name = 'AnaDiff Training';

  const updateStatus = (): void => {
    for (const dir of reattached) if (model.get(dir)?.summary.status !== 'running') reattached.delete(dir);
    // A comparison has its own notification (compare-command.ts); its folder is not a run the monitor shows.
    const running = [...jobs.running().filter((j) => j.kind !== 'compare').map((j) => j.runDir), ...reattached];
    const runDir = running[0];
    if (!runDir) {
      status.hide();
      return;
    }
    const summary = model.get(runDir)?.summary;
    const more = running.length > 1 ? ` (+${running.length - 1})` : '';
    status.text = `$(sync~spin) ${path.basename(runDir)}${summary?.step !== undefined && summary.totalSteps !== undefined ? ` ${summary.step}/${summary.totalSteps}` : ''}${more}`;
    status.tooltip = `AnaDiff: ${summary ? `${summary.kind} ${describeRun(summary)}` : 'starting'}. Click to open the run monitor.`;
    status.command = { command: 'anadiff.runs.openMonitor', title: 'Open Run Monitor', arguments: [runDir] };
    status.show();
  };

  const treeView = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: tree, showCollapseAll: false });
  // File watching drives the view; as a fallback, while the view is visible the runs folder is listed again every
  // 5 s (a directory listing and each run's new bytes). Full e2e runs showed watcher events lost on a runs folder
  // created moments earlier, and a run started from a terminal then never appeared. Nothing runs while it is hidden.
  let rescan: NodeJS.Timeout | undefined;
  const syncRescan = (): void => {
    if (treeView.visible && !rescan) rescan = setInterval(() => model.refreshAll(), 5_000);
    if (!treeView.visible && rescan) {
      clearInterval(rescan);
      rescan = undefined;
    }
  };
  syncRescan();
  context.subscriptions.push(
    log,
    jobs,
    model,
    tree,
    status,
    treeView,
    treeView.onDidChangeVisibility(syncRescan),
    new vscode.Disposable(() => clearInterval(rescan)),
    jobs.onDidChange((job) => {
      model.refresh(job.runDir);
      updateStatus();
    }),
    model.onDidChange(() => updateStatus()),
    ...registerRunCommands({ extensionUri: context.extensionUri, model, jobs }),
    vscode.window.registerWebviewPanelSerializer(RUN_MONITOR_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => { RunMonitorPanel.revive(panel, context.extensionUri, model, state); },
    }),
  );
  updateStatus();
  return { runsRoot: () => model.runsRoot, summaries: () => model.list().map((r) => r.summary) };
}
