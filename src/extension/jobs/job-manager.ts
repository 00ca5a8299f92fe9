/**
 * The jobs this editor started (through `startCli`, the one way to start one) and how to stop any run, including
 * those started from a terminal or before a window reload: Stop sends SIGTERM to run.lock's pid when it is on this
 * host (the CLI then stops after the current step, writes a checkpoint and report.json, and releases the lock).
 * Training children are detached with their output in a file, so they outlive a window reload; after one, the Runs
 * tree finds them again through run.lock.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { readRunLock } from '../../node/runs/run-lock.js';
import { cliPath, startCli, type CliChild, type CliExit } from './cli-child.js';

const STARTED_KEY = 'anadiff.jobs.started';

export interface Job {
  readonly runDir: string;
  /** "train" or "resume". */
  readonly kind: string;
  readonly child: CliChild;
  readonly startedAt: Date;
  /** stdout + stderr of the child. */
  readonly outputFile: string;
  /** Set when the child has exited. */
  exit: CliExit | undefined;
}

export class JobManager implements vscode.Disposable {
  private readonly jobs = new Map<string, Job>();
  private readonly changed = new vscode.EventEmitter<Job>();
  /** Fires when a job starts or ends. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly extensionPath: string,
    /** Where job output files go (the extension's log folder: nothing is written into the workspace). */
    private readonly logDir: string,
    /** Remembers the run folders of started jobs across window reloads (the workspace's state). */
    private readonly memory: vscode.Memento,
  ) {}

  /**
   * Run folders of jobs this editor started before the window reloaded whose run.lock still names a live pid: the
   * status bar keeps showing them and Stop reaches them through the lock.
   */
  reattached(): string[] {
    const started = this.memory.get<string[]>(STARTED_KEY, []);
    const alive = started.filter((dir) => !this.jobs.has(dir) && readRunLock(dir)?.alive === true);
    if (alive.length !== started.length) void this.memory.update(STARTED_KEY, [...alive, ...started.filter((d) => this.jobs.has(d))]);
    return alive;
  }

  /** Starts `anadiff <args>` for a run folder, detached. Throws if this editor already runs a job there. */
  start(kind: string, runDir: string, args: readonly string[], cwd: string): Job {
    if (this.isRunning(runDir)) throw new Error(`a job already runs in ${runDir}`);
    mkdirSync(this.logDir, { recursive: true });
    const outputFile = join(this.logDir, `${basename(runDir)}-${kind}-${Date.now()}.log`);
    const child = startCli(cliPath(this.extensionPath), args, { cwd, detached: true, outputFile });
    const job: Job = { runDir, kind, child, startedAt: new Date(), outputFile, exit: undefined };
    this.jobs.set(runDir, job);
    void this.memory.update(STARTED_KEY, [...new Set([...this.memory.get<string[]>(STARTED_KEY, []), runDir])]);
    void child.done.then((exit) => {
      job.exit = exit;
      void this.memory.update(STARTED_KEY, this.memory.get<string[]>(STARTED_KEY, []).filter((d) => d !== runDir));
      this.changed.fire(job);
    });
    this.changed.fire(job);
    return job;
  }

  /** Jobs this editor started in this session, newest first (finished ones included). */
  list(): Job[] {
    return [...this.jobs.values()].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
  }

  running(): Job[] {
    return this.list().filter((j) => j.exit === undefined);
  }

  isRunning(runDir: string): boolean {
    const job = this.jobs.get(runDir);
    return job !== undefined && job.exit === undefined;
  }

  /**
   * Asks the run's holder to stop: this editor's child, else run.lock's pid on this host. Returns what was signalled,
   * or throws with the reason it cannot (no holder, another host).
   */
  stop(runDir: string): string {
    const job = this.jobs.get(runDir);
    if (job && job.exit === undefined) {
      // a long grace: the CLI finishes the current step and writes a checkpoint first
      job.child.stop(120_000);
      return `pid ${job.child.pid ?? '?'}`;
    }
    const lock = readRunLock(runDir);
    if (!lock || lock.alive === false) throw new Error(`${basename(runDir)} is not running`);
    if (lock.host !== hostname()) throw new Error(`${basename(runDir)} runs on host ${lock.host} (pid ${lock.pid}): stop it there`);
    process.kill(lock.pid, 'SIGTERM');
    return `pid ${lock.pid}`;
  }

  dispose(): void {
    // Detached training children keep running on purpose (reattached through run.lock after a reload).
    this.changed.dispose();
  }
}
