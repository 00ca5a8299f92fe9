/**
 * The run monitor: one webview panel showing one or more runs overlaid (loss, learning rate, validation Dice per
 * organ, the latest Dice table). Open Monitor on another run adds it to the open panel. The host sends each run's
 * history once and then only the lines appended (RunsModel's deltas), after the webview says `ready`. A window reload
 * restores the panel with its runs (`revive`, from the webview's state).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeFileAtomic } from '../../node/io/atomic-write.js';
import { webviewHtml } from '../webview-html.js';
import { RUN_MONITOR_VIEW_TYPE, type HostToMonitor, type MonitorState, type MonitorToHost } from '../../protocol/monitor.js';
import type { RunChange, RunsModel } from './runs-model.js';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A chart the monitor exported: asks where to save it (the workspace folder by default; the save dialog itself asks
 * before replacing a file), checks that the bytes are what they claim, and writes them atomically.
 */
async function saveChart(m: Extract<MonitorToHost, { type: 'export' }>): Promise<void> {
  const bytes = m.format === 'png' ? Buffer.from(m.data, 'base64') : Buffer.from(m.data, 'utf8');
  const valid = m.format === 'png' ? bytes.subarray(0, 8).equals(PNG_MAGIC) : /^<svg[\s>]/.test(m.data);
  if (!valid) throw new Error(`the monitor sent no ${m.format.toUpperCase()} image`);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  const safeName = m.name.replace(/[^\w.-]+/g, '-') || 'chart';
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(path.join(folder, `${safeName}.${m.format}`)),
    filters: { [m.format.toUpperCase()]: [m.format] },
    title: `Save the chart as ${m.format.toUpperCase()}`,
  });
  if (!target) return;
  if (target.scheme !== 'file') throw new Error(`${target.toString()}: only local files can be written`);
  writeFileAtomic(target.fsPath, [bytes], { overwrite: true });
  vscode.window.setStatusBarMessage(`AnaDiff: saved ${target.fsPath}`, 5000);
}

export class RunMonitorPanel implements vscode.Disposable {
  private static current: RunMonitorPanel | undefined;
  private readonly shown = new Set<string>();
  /** Shown runs whose history the webview has: the others get `run` on their next change (a folder not created yet). */
  private readonly sent = new Set<string>();
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];

  /** Shows the monitor with `runDir` added (creating the panel if needed). */
  static show(extensionUri: vscode.Uri, model: RunsModel, runDir: string): RunMonitorPanel {
    const panel = RunMonitorPanel.current ?? new RunMonitorPanel(extensionUri, model);
    RunMonitorPanel.current = panel;
    panel.add(runDir);
    panel.panel.reveal(undefined, false);
    return panel;
  }

  private readonly panel: vscode.WebviewPanel;

  /**
   * The monitor VS Code restores after a window reload (registered as the view type's serializer): the same panel,
   * its webview reloaded, showing the runs its state names that still exist.
   */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, model: RunsModel, state: unknown): RunMonitorPanel {
    RunMonitorPanel.current?.dispose();
    const monitor = new RunMonitorPanel(extensionUri, model, panel);
    RunMonitorPanel.current = monitor;
    const runIds = (state as Partial<MonitorState> | undefined)?.runIds;
    for (const runDir of Array.isArray(runIds) ? runIds : []) {
      if (typeof runDir !== 'string') continue;
      model.refresh(runDir);
      if (model.get(runDir)) monitor.add(runDir);
    }
    return monitor;
  }

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly model: RunsModel,
    restored?: vscode.WebviewPanel,
  ) {
    this.panel = restored ?? vscode.window.createWebviewPanel(RUN_MONITOR_VIEW_TYPE, 'Run Monitor', vscode.ViewColumn.Active, monitorOptions(extensionUri));
    this.panel.webview.options = monitorOptions(extensionUri);
    this.panel.webview.html = monitorHtml(this.panel.webview, extensionUri);
    this.disposables.push(
      this.panel.webview.onDidReceiveMessage((m: MonitorToHost) => this.onMessage(m)),
      this.model.onDidChange((c) => this.onRunChange(c)),
      this.panel.onDidDispose(() => this.dispose()),
    );
  }

  private onMessage(message: MonitorToHost): void {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.sent.clear();
        for (const runDir of this.shown) this.sendRun(runDir);
        return;
      case 'hideRun':
        this.shown.delete(message.runId);
        this.sent.delete(message.runId);
        this.updateTitle();
        return;
      case 'export':
        void saveChart(message).catch((error: unknown) => vscode.window.showErrorMessage(`AnaDiff: the chart was not saved: ${(error as Error).message}`));
        return;
      default: {
        const never: never = message;
        throw new Error(`unknown monitor message ${JSON.stringify(never)}`);
      }
    }
  }

  private add(runDir: string): void {
    if (this.shown.has(runDir)) return;
    this.shown.add(runDir);
    this.updateTitle();
    if (this.ready) this.sendRun(runDir);
  }

  private updateTitle(): void {
    const names = [...this.shown].map((d) => d.split(/[\\/]/).pop() ?? d);
    this.panel.title = names.length === 1 ? `Run Monitor: ${names[0]}` : `Run Monitor (${names.length} runs)`;
  }

  private sendRun(runDir: string): void {
    const state = this.model.get(runDir);
    if (!state) return;
    const h = state.reader.history;
    this.sent.add(runDir);
    this.post({ type: 'run', runId: runDir, summary: state.summary, steps: h.steps, validations: h.validations });
  }

  private onRunChange(change: RunChange): void {
    if (!this.ready || !this.shown.has(change.runDir)) return;
    if (!change.state) {
      this.shown.delete(change.runDir);
      this.sent.delete(change.runDir);
      this.post({ type: 'removeRun', runId: change.runDir });
      return;
    }
    if (change.reset || !this.sent.has(change.runDir)) this.sendRun(change.runDir);
    else this.post({ type: 'append', runId: change.runDir, summary: change.state.summary, steps: change.delta.steps, validations: change.delta.validations });
  }

  private post(message: HostToMonitor): void {
    void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    if (RunMonitorPanel.current === this) RunMonitorPanel.current = undefined;
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}

function monitorOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    retainContextWhenHidden: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

/** CSP: the bundle and stylesheet by nonce (uPlot sets element styles through the CSSOM only). */
function monitorHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  return webviewHtml(webview, extensionUri, {
    bundle: 'monitor', title: 'AnaDiff run monitor', status: 'Waiting for runs…',
    directives: [`style-src {cspSource} 'nonce-{nonce}'`],
  });
}
