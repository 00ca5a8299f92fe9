/**
 * The run folders under the runs root (setting `anadiff.runs.folder`, default `.anadiff/runs` in the first workspace
 * folder) and under the folders the person added (`anadiff.runs.extraFolders`), each read by a RunReader, kept current
 * by a FileSystemWatcher per root (no polling loop): an event inside `<root>/<run>/` rereads that run after a short
 * debounce, reading only the bytes appended to its metrics.jsonl. New runs go to the runs root only. The Runs tree,
 * the monitor and the status bar all listen to this one model.
 */
import { existsSync, mkdirSync, readdirSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MetricsDelta } from '../../core/runs/metrics.js';
import type { RunSummary } from '../../core/runs/summary.js';
import { RunReader } from '../../node/runs/run-reader.js';
import { loadRunsSettings } from './settings.js';

export interface RunState {
  readonly runDir: string;
  readonly reader: RunReader;
  summary: RunSummary;
}

export interface RunChange {
  readonly runDir: string;
  /** undefined: the folder is gone. */
  readonly state: RunState | undefined;
  readonly delta: MetricsDelta;
  /** The history was read again from the start (the monitor replaces its curves). */
  readonly reset: boolean;
}

/** Coalesces a burst of watcher events (a step appends one line; a checkpoint writes several files). */
const DEBOUNCE_MS = 150;

export class RunsModel implements vscode.Disposable {
  private readonly runs = new Map<string, RunState>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly changed = new vscode.EventEmitter<RunChange>();
  readonly onDidChange = this.changed.event;
  private watcher: vscode.FileSystemWatcher | undefined;
  private root: string | undefined;
  /** The real path events arrive under (the root's, or where it will be). */
  private watchedRoot: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** The added folders that exist, each watched by its real path. */
  private extras: { readonly root: string; readonly real: string; readonly watcher: vscode.FileSystemWatcher }[] = [];

  constructor(
    private readonly isJobRunning: (runDir: string) => boolean,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('anadiff.runs.folder') || e.affectsConfiguration('anadiff.runs.extraFolders')) this.reload();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.reload()),
    );
    this.reload();
  }

  /** The runs root, or undefined without a workspace folder. */
  get runsRoot(): string | undefined {
    return this.root;
  }

  list(): RunState[] {
    // folder names start with their UTC start time: newest first
    return [...this.runs.values()].sort((a, b) => path.basename(b.runDir).localeCompare(path.basename(a.runDir)));
  }

  get(runDir: string): RunState | undefined {
    return this.runs.get(runDir);
  }

  /** Rereads one run now (a job started or ended, or the person asked). */
  refresh(runDir: string): void {
    clearTimeout(this.timers.get(runDir));
    this.timers.delete(runDir);
    if (!existsSync(runDir) || !statSync(runDir).isDirectory()) {
      if (this.runs.delete(runDir)) this.changed.fire({ runDir, state: undefined, delta: { steps: [], validations: [] }, reset: true });
      return;
    }
    let state = this.runs.get(runDir);
    const reader = state?.reader ?? new RunReader(runDir);
    if (!state) this.log.info(`run folder ${runDir}`);
    const read = reader.read(this.isJobRunning(runDir));
    if (state) state.summary = read.summary;
    else {
      state = { runDir, reader, summary: read.summary };
      this.runs.set(runDir, state);
    }
    this.changed.fire({ runDir, state, delta: read.delta, reset: read.reset });
  }

  /** Every run again (the tree's Refresh: a process killed with SIGKILL changes no file). */
  refreshAll(): void {
    for (const dir of this.scan()) this.refresh(dir);
    for (const dir of [...this.runs.keys()]) if (!existsSync(dir)) this.refresh(dir);
  }

  private scan(): string[] {
    const roots = [...(this.root ? [this.root] : []), ...this.extras.map((e) => e.root)];
    return roots.flatMap((r) => {
      try {
        return existsSync(r) ? readdirSync(r, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(r, d.name)) : [];
      } catch (error) {
        this.log.warn(`cannot list ${r}: ${(error as Error).message}`); // an unreadable folder or a stale mount
        return [];
      }
    });
  }

  /** The added folders (setting `anadiff.runs.extraFolders`): each one that exists is watched; the others are logged. */
  private watchExtras(folder: vscode.WorkspaceFolder): void {
    for (const e of this.extras) e.watcher.dispose();
    this.extras = [];
    const inside = (a: string, b: string): boolean => !path.relative(b, a).startsWith('..') && !path.isAbsolute(path.relative(b, a));
    for (const given of loadRunsSettings(folder.uri).extraFolders) {
      const root = path.resolve(folder.uri.fsPath, given);
      if (this.extras.some((e) => e.root === root)) continue;
      // the runs root itself, a folder inside it (its runs), or one holding it (.anadiff: runs/, jobs/, cache/ are no runs)
      if (this.root && (inside(root, this.root) || inside(this.root, root))) {
        this.log.warn(`anadiff.runs.extraFolders: ${root} holds or is inside the runs folder ${this.root}; not added`);
        continue;
      }
      let real: string;
      try {
        if (!statSync(root).isDirectory()) throw new Error('not a folder');
        real = realpathSync(root);
      } catch (error) {
        this.log.warn(`anadiff.runs.extraFolders: ${root}: ${(error as Error).message}; not shown`);
        continue;
      }
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(real), '**'));
      const onEvent = (uri: vscode.Uri): void => this.scheduleUnder(root, real, uri.fsPath);
      watcher.onDidCreate(onEvent);
      watcher.onDidChange(onEvent);
      watcher.onDidDelete(onEvent);
      this.extras.push({ root, real, watcher });
      this.log.info(`watching ${real} ** for run folders under ${root} (an added folder)`);
    }
  }

  private reload(): void {
    this.watcher?.dispose();
    for (const e of this.extras) e.watcher.dispose();
    this.extras = [];
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const dir of [...this.runs.keys()]) {
      this.runs.delete(dir);
      this.changed.fire({ runDir: dir, state: undefined, delta: { steps: [], validations: [] }, reset: true });
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    this.root = folder ? path.resolve(folder.uri.fsPath, loadRunsSettings(folder.uri).folder) : undefined;
    if (!this.root || !folder) return;
    this.watch(folder);
    this.watchExtras(folder);
    for (const dir of this.scan()) this.refresh(dir);
  }

  /**
   * Watches the runs root by its real path (a workspace reached through a symlink gets its events under the real
   * path, which a pattern on the link's path never matches). Until the root exists, its parent chain is watched from the
   * workspace folder, and the watcher moves onto the root once an event shows it was created.
   */
  private watch(folder: vscode.WorkspaceFolder): void {
    this.watcher?.dispose();
    const root = this.root!;
    let base: string;
    let glob: string;
    if (existsSync(root)) {
      base = realpathSync(root);
      glob = '**';
      this.watchedRoot = base;
    } else {
      base = realpathSync(folder.uri.fsPath);
      const rel = path.relative(folder.uri.fsPath, root);
      glob = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? `${rel.split(path.sep).join('/')}/**` : '**';
      this.watchedRoot = path.join(base, rel);
    }
    this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(base), glob));
    this.log.info(`watching ${base} ${glob} for run folders under ${root}`);
    const onEvent = (uri: vscode.Uri): void => {
      if (glob !== '**' && existsSync(root)) {
        // the root appeared: watch it directly (by its real path) from now on
        this.watch(folder);
        for (const dir of this.scan()) this.refresh(dir);
        return;
      }
      this.schedule(uri.fsPath);
    };
    this.watcher.onDidCreate(onEvent);
    this.watcher.onDidChange(onEvent);
    this.watcher.onDidDelete(onEvent);
  }

  /** Makes sure the runs root exists and is watched directly (before a job writes into it). */
  ensureRoot(): void {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!this.root || !folder) return;
    if (!existsSync(this.root)) {
      mkdirSync(this.root, { recursive: true });
      this.watch(folder);
    }
  }

  /** `file` is under the watched (real) root: its run folder is read again soon. */
  private schedule(file: string): void {
    if (this.root && this.watchedRoot) this.scheduleUnder(this.root, this.watchedRoot, file);
  }

  /** `file` is under `real` (the real path of `root`): the run folder holding it is read again soon. */
  private scheduleUnder(root: string, real: string, file: string): void {
    const rel = path.relative(real, file);
    if (!rel || rel.startsWith('..')) return;
    const runDir = path.join(root, rel.split(path.sep)[0]!);
    if (this.timers.has(runDir)) return;
    this.timers.set(runDir, setTimeout(() => {
      try {
        this.refresh(runDir);
      } catch (error) {
        this.log.error(`reading ${runDir}: ${(error as Error).message}`);
      }
    }, DEBOUNCE_MS));
  }

  dispose(): void {
    this.watcher?.dispose();
    for (const e of this.extras) e.watcher.dispose();
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
  }
}
