/** The Runs tree (view `anadiff.runs` in the AnaDiff activity-bar container): one row per run folder, newest first. */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUN_FILES } from '../../node/runs/run-folder.js';
import { describeRun, formatDuration, type RunStatus } from '../../core/runs/summary.js';
import type { RunsModel, RunState } from './runs-model.js';

export const RUNS_VIEW_ID = 'anadiff.runs';

const ICONS: Record<RunStatus, vscode.ThemeIcon> = {
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  elsewhere: new vscode.ThemeIcon('remote'),
  done: new vscode.ThemeIcon('pass', new vscode.ThemeColor('charts.green')),
  stopped: new vscode.ThemeIcon('debug-pause'),
  stale: new vscode.ThemeIcon('warning', new vscode.ThemeColor('charts.yellow')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('charts.red')),
};

/** The tree's element: the run folder's absolute path (menus receive it as their argument). */
export type RunNode = string;

export class RunsTreeProvider implements vscode.TreeDataProvider<RunNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly model: RunsModel) {
    // one refresh of the whole (short) list: a run added or removed changes the order
    this.subscription = model.onDidChange(() => this.changed.fire(undefined));
  }

  getChildren(element?: RunNode): RunNode[] {
    return element ? [] : this.model.list().map((r) => r.runDir);
  }

  getTreeItem(runDir: RunNode): vscode.TreeItem {
    const state = this.model.get(runDir);
    const item = new vscode.TreeItem(path.basename(runDir), vscode.TreeItemCollapsibleState.None);
    item.id = runDir;
    item.resourceUri = vscode.Uri.file(runDir);
    if (!state) return item;
    const s = state.summary;
    item.description = describeRun(s);
    item.iconPath = ICONS[s.status];
    item.contextValue = `anadiff.run.${s.status}${s.status === 'done' ? exportedModelTag(runDir, s.kind) : ''}`;
    item.tooltip = tooltipOf(state);
    item.command = { command: 'anadiff.runs.openMonitor', title: 'Open Run Monitor', arguments: [runDir] };
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

function tooltipOf(state: RunState): vscode.MarkdownString {
  const s = state.summary;
  const lines = [`**${s.name}** (${s.kind}${s.description ? `: ${s.description}` : ''})`, '', `status: ${s.status}`];
  if (s.step !== undefined) lines.push(`step: ${s.step}${s.totalSteps !== undefined ? ` / ${s.totalSteps}` : ''}`);
  if (s.etaSec !== undefined) lines.push(`ETA: ${formatDuration(s.etaSec)} (step times of the last 20 steps)`);
  if (s.lastLoss !== undefined) lines.push(`loss: ${s.lastLoss.toFixed(4)}`);
  if (s.best) lines.push(`best Dice: ${s.best.meanDice.toFixed(4)} (epoch ${s.best.epoch}, step ${s.best.step})`);
  if (s.holder) lines.push(`run.lock: ${s.holder.kind}, pid ${s.holder.pid} on ${s.holder.host} since ${s.holder.startedAt}`);
  lines.push('', state.runDir);
  return new vscode.MarkdownString(lines.join('  \n'));
}

/**
 * What a finished run exported, for the context menu: `.model` (a segmentation model.onnx: Segment with This Model,
 * Export ONNX), `.coords` (a coordinate model: Export ONNX), or nothing (pretraining runs keep a backbone in best/).
 */
function exportedModelTag(runDir: string, kind: string): string {
  if (!existsSync(path.join(runDir, RUN_FILES.model))) return '';
  return kind === 'coords' ? '.coords' : '.model';
}
