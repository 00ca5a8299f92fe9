/**
 * The one way the extension starts a job: the bundled CLI (`dist/cli.js`, the same code as `npx anadiff`) in a child
 * process, never in the extension host's thread. Arguments go as an array (no shell, so nothing a user typed is ever
 * parsed as shell syntax); the job's state lives in its run folder or output file, which is what the editor watches.
 *
 * `detached` children (training, pretraining) get their own process group and outlive a window reload: the editor
 * reattaches to them through the run folder's `run.lock` pid. Attached children (segment, evaluate) are stopped when
 * the extension deactivates.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export interface CliChildOptions {
  readonly cwd: string;
  /** Called with each complete stdout line (the CLI's --json output is one JSON object per line). */
  readonly onStdoutLine?: (line: string) => void;
  /** Called with each complete stderr line (progress and messages). */
  readonly onStderrLine?: (line: string) => void;
  readonly detached?: boolean;
  /**
   * Where stdout and stderr go instead of pipes (appended). A detached child needs one: when the window reloads, the
   * extension host and its pipe ends go away, and the child's next write fails with EPIPE and kills it (measured).
   * The line callbacks are not called then; `stderrTail` comes from the file's end.
   */
  readonly outputFile?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface CliExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last stderr lines, for an error message that says what went wrong. */
  readonly stderrTail: string;
}

export interface CliChild {
  readonly pid: number | undefined;
  readonly args: readonly string[];
  readonly done: Promise<CliExit>;
  /** SIGTERM (the CLI stops cleanly: checkpoint, report), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): void;
}

/** `dist/cli.js` inside the installed extension (the VSIX ships it). */
export function cliPath(extensionPath: string): string {
  return path.join(extensionPath, 'dist', 'cli.js');
}

const TAIL_LINES = 20;

export function startCli(cli: string, args: readonly string[], options: CliChildOptions): CliChild {
  // The extension host is Node in code-server and Electron in desktop VS Code; ELECTRON_RUN_AS_NODE makes the latter
  // behave as plain Node and is ignored by the former.
  const outputFd = options.outputFile !== undefined ? openSync(options.outputFile, 'a') : undefined;
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [cli, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: outputFd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', outputFd, outputFd],
      detached: options.detached ?? false,
      windowsHide: true,
    });
  } finally {
    // the child holds its own copy of the descriptor
    if (outputFd !== undefined) closeSync(outputFd);
  }
  const tail: string[] = [];
  const lines = (onLine: ((line: string) => void) | undefined, keepTail: boolean) => {
    let pending = '';
    return (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      // Progress bars redraw with \r; treat it as a line end so listeners see each update.
      const parts = pending.split(/\r\n|\n|\r/);
      pending = parts.pop() ?? '';
      for (const line of parts) {
        if (!line) continue;
        if (keepTail) {
          tail.push(line);
          if (tail.length > TAIL_LINES) tail.shift();
        }
        onLine?.(line);
      }
    };
  };
  child.stdout?.on('data', lines(options.onStdoutLine, false));
  child.stderr?.on('data', lines(options.onStderrLine, true));
  const done = new Promise<CliExit>((resolve) => {
    child.on('error', (error) => {
      tail.push(error.message);
      resolve({ code: null, signal: null, stderrTail: tail.join('\n') });
    });
    child.on('close', (code, signal) => {
      if (options.outputFile !== undefined) tail.push(...fileTail(options.outputFile));
      resolve({ code, signal, stderrTail: tail.join('\n') });
    });
  });
  if (options.detached) child.unref();
  let killTimer: NodeJS.Timeout | undefined;
  void done.then(() => clearTimeout(killTimer));
  return {
    pid: child.pid,
    args,
    done,
    stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      killTimer.unref();
    },
  };
}

function fileTail(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split(/\r\n|\n|\r/).filter((l) => l !== '').slice(-TAIL_LINES);
  } catch {
    return [];
  }
}
