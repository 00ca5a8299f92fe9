/**
 * One writer per run folder: `run.lock` (JSON: pid, host, kind, start time), created exclusively (O_EXCL) by train,
 * resume, protocol, pretrain and coords before they write anything, and read by the editor's Runs tree to show who
 * owns a run. A lock whose pid is gone on this host is stale and is taken over; a lock from another host is never
 * taken over automatically (its pid means nothing here), and the error says which file to remove.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const RUN_LOCK_FILE = 'run.lock';

export interface RunLockInfo {
  readonly format: 'anadiff-run-lock';
  readonly pid: number;
  readonly host: string;
  /** What holds the run: "train", "resume", "protocol", "pretrain", "coords", ... */
  readonly kind: string;
  readonly startedAt: string;
}

export interface RunLockState extends RunLockInfo {
  /** true: the holder runs; false: its pid is gone on this host (stale); undefined: another host, cannot tell. */
  readonly alive: boolean | undefined;
}

export interface RunLock {
  readonly path: string;
  readonly info: RunLockInfo;
  /** Removes the lock if it is still ours; safe to call twice. */
  release(): void;
}

export class RunLockedError extends Error {
  constructor(
    readonly runDir: string,
    readonly holder: RunLockState,
  ) {
    const where = holder.host === hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on host ${holder.host}`;
    const hint =
      holder.alive === undefined
        ? `; if that job is gone, remove ${join(runDir, RUN_LOCK_FILE)}`
        : '; stop it first (Ctrl-C, or AnaDiff: Stop Run)';
    super(`run folder ${runDir} is in use by ${holder.kind} (${where}, since ${holder.startedAt})${hint}`);
    this.name = 'RunLockedError';
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's holder, or undefined when the folder is free (no file, or a file that does not parse: a torn write). */
export function readRunLock(runDir: string): RunLockState | undefined {
  let text: string;
  try {
    text = readFileSync(join(runDir, RUN_LOCK_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let info: RunLockInfo;
  try {
    info = JSON.parse(text) as RunLockInfo;
  } catch {
    return undefined;
  }
  if (info?.format !== 'anadiff-run-lock' || !Number.isInteger(info.pid)) return undefined;
  const alive = info.host === hostname() ? processAlive(info.pid) : undefined;
  return { ...info, alive };
}

/** Takes the folder's lock or throws RunLockedError naming the holder. The folder must exist. */
export function acquireRunLock(runDir: string, kind: string): RunLock {
  const path = join(runDir, RUN_LOCK_FILE);
  const info: RunLockInfo = {
    format: 'anadiff-run-lock',
    pid: process.pid,
    host: hostname(),
    kind,
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readRunLock(runDir);
      if (holder && holder.alive !== false) throw new RunLockedError(runDir, holder);
      // Stale (dead pid here) or unreadable: take it over. Two takers race on unlink + O_EXCL; one wins.
      try {
        unlinkSync(path);
      } catch (unlinkError) {
        if ((unlinkError as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkError;
      }
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(info) + '\n');
    } finally {
      closeSync(fd);
    }
    let released = false;
    // process.exit (a second Ctrl-C, an uncaught error) skips finally blocks but runs 'exit' listeners, which may
    // only do synchronous work: release is synchronous. SIGKILL leaves the file; its dead pid makes it stale.
    const onExit = (): void => release();
    process.on('exit', onExit);
    const release = (): void => {
      if (released) return;
      released = true;
      process.off('exit', onExit);
      const now = readRunLock(runDir);
      if (now && now.pid === info.pid && now.host === info.host && now.startedAt === info.startedAt) {
        try {
          unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      }
    };
    return { path, info, release };
  }
  const holder = readRunLock(runDir);
  throw holder ? new RunLockedError(runDir, holder) : new Error(`could not take ${path}: it keeps reappearing`);
}

/**
 * Creates `runDir` if needed and runs `work` holding its lock (RunLockedError when another live process holds it);
 * the lock is released however `work` ends. Every job that writes a run folder goes through here.
 */
export async function withRunLock<T>(runDir: string, kind: string, work: () => Promise<T>): Promise<T> {
  mkdirSync(runDir, { recursive: true });
  const lock = acquireRunLock(runDir, kind);
  try {
    return await work();
  } finally {
    lock.release();
  }
}
