/**
 * Reads one run folder into a RunSummary (core/runs/summary.ts) for the editor's Runs tree and monitor. metrics.jsonl
 * is read from where the last read stopped, so a watcher that fires on every appended line costs only the new bytes;
 * a file that was replaced or shrank (a resume rewrites it without the lines after its checkpoint) is read again from
 * the start.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import { MetricsReader, type MetricsDelta } from '../../core/runs/metrics.js';
import { summarizeRun, type RunSummary } from '../../core/runs/summary.js';
import { RUN_FILES } from './run-folder.js';
import { readRunLock } from './run-lock.js';

const CHUNK = 1 << 20;

function readJson(path: string): unknown {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    // written atomically, so this is a foreign or hand-edited file: the summary shows what it can without it
    return undefined;
  }
}

export interface RunRead {
  readonly summary: RunSummary;
  /** Lines added since the previous read; `reset` when the file was rewritten and the history starts over. */
  readonly delta: MetricsDelta;
  readonly reset: boolean;
}

export class RunReader {
  private metrics = new MetricsReader();
  /** The inode read so far: a resume rewrites metrics.jsonl atomically (a new inode), maybe longer than before. */
  private ino = -1;

  constructor(readonly runDir: string) {}

  get history(): MetricsReader['history'] {
    return this.metrics.history;
  }

  /** Reads the folder now. `jobRunning`: the editor's own child for this folder is alive (before it takes run.lock). */
  read(jobRunning = false): RunRead {
    const { delta, reset } = this.readNewMetrics();
    const summary = summarizeRun({
      name: basename(this.runDir),
      config: readJson(join(this.runDir, RUN_FILES.config)),
      report: readJson(join(this.runDir, RUN_FILES.report)),
      lock: readRunLock(this.runDir),
      history: this.metrics.history,
      jobRunning,
    });
    return { summary, delta, reset };
  }

  private readNewMetrics(): { delta: MetricsDelta; reset: boolean } {
    const path = join(this.runDir, RUN_FILES.metrics);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const reset = this.metrics.bytesRead > 0;
      if (reset) this.metrics = new MetricsReader();
      return { delta: { steps: [], validations: [] }, reset };
    }
    try {
      const { size, ino } = fstatSync(fd);
      let reset = false;
      if (size < this.metrics.bytesRead || (ino !== this.ino && this.metrics.bytesRead > 0)) {
        this.metrics = new MetricsReader();
        reset = true;
      }
      this.ino = ino;
      const steps: MetricsDelta['steps'][number][] = [];
      const validations: MetricsDelta['validations'][number][] = [];
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, size - this.metrics.bytesRead)));
      while (this.metrics.bytesRead < size) {
        const n = readSync(fd, buffer, 0, Math.min(buffer.byteLength, size - this.metrics.bytesRead), this.metrics.bytesRead);
        if (n === 0) break;
        const d = this.metrics.feed(buffer.subarray(0, n));
        steps.push(...d.steps);
        validations.push(...d.validations);
      }
      return { delta: reset ? { steps: this.metrics.history.steps, validations: this.metrics.history.validations } : { steps, validations }, reset };
    } finally {
      closeSync(fd);
    }
  }
}
