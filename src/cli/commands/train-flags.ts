/** Flag parsing and terminal output shared by `train` and `protocol`. */
import type { TrainProgress } from '../../node/train/train-run.js';
import { formatDuration } from '../../core/runs/summary.js';
import { checkTrainNumbers, type TrainRequest } from '../../node/train/resolve-train.js';
import { RunConfigError } from '../../node/train/run-config.js';
import { join, resolve } from 'node:path';
import type { Schedule } from '../../core/optim/schedules.js';
import { loadJsonFile, RUN_FILES } from '../../node/runs/run-folder.js';
import { CliError, EXIT, UsageError } from '../command.js';

/** Flag values out of range are usage errors (exit 2); the rules live with the config (checkTrainNumbers). */
export function checkTrainFlags(request: Partial<TrainRequest>): void {
  try {
    checkTrainNumbers(request);
  } catch (e) {
    if (e instanceof RunConfigError) throw new UsageError(e.message);
    throw e;
  }
}

export function positiveIntOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got ${value}`);
  return n;
}

export function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got ${value}`);
  return n;
}

/** `128x128x32` (integers when `integer`) or `1x1x2`: three finite numbers > 0. */
export function parseTriple(name: string, value: string, integer: boolean): [number, number, number] {
  const parts = value.split(/[x,]/).map(Number);
  if (parts.length !== 3 || parts.some((p) => !(p > 0) || !Number.isFinite(p) || (integer && !Number.isInteger(p)))) {
    throw new UsageError(`--${name} must be three ${integer ? 'integers' : 'numbers'} > 0 like ${integer ? '128x128x32' : '1x1x2'}, got ${value}`);
  }
  return parts as [number, number, number];
}

export function parseIntList(name: string, value: string): number[] {
  const parts = value.split(',').map((s) => Number(s.trim()));
  if (parts.length === 0 || parts.some((p) => !Number.isInteger(p) || p < 0)) throw new UsageError(`--${name} must be a comma-separated list of integers, got ${value}`);
  return parts;
}


/** One status line: rewritten in place on a terminal, every ~5% of the steps otherwise (logs stay short). */
export function printProgress(p: TrainProgress): void {
  const text = `epoch ${p.epoch} step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} lr ${p.lr?.toExponential(2) ?? '-'} ${p.itPerSec.toFixed(2)} it/s ETA ${formatDuration(p.etaSec)}`;
  if (process.stderr.isTTY) process.stderr.write(`\r${text}\x1b[K${p.step === p.steps ? '\n' : ''}`);
  else if (p.step % Math.max(1, Math.round(p.steps / 20)) === 0 || p.step === p.steps) console.error(text);
}

/**
 * First Ctrl-C or SIGTERM (what `kill`, Slurm's scancel and time limits send): stop after the current step and a
 * checkpoint, releasing the run lock on the way out; a second one exits at once (the lock goes with the 'exit' hook).
 */
export function stopOnSigint(): { requested: () => boolean; dispose: () => void } {
  let requested = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (requested) process.exit(130);
    requested = true;
    console.error(`\n${signal === 'SIGTERM' ? 'SIGTERM: ' : ''}stopping after the current step (Ctrl-C again to quit at once)`);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    requested: () => requested,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** What a step-counted job (pretrain, coords train) takes from the command line that runs it. */
export interface StepJobHooks {
  readonly shouldStop: () => boolean;
  readonly onMessage: (message: string) => void;
  readonly onProgress: (p: { step: number; steps: number; loss: number; etaSec: number }) => void;
}

/**
 * Runs a step-counted job: Ctrl-C or SIGTERM asks it to stop after the current step, a progress line every 5% of the
 * steps goes to stderr, `--json` prints its report; exit 130 when it stopped, 0 when it ended.
 */
export async function runStepJob<R extends { readonly status: string }>(json: boolean | undefined, start: (hooks: StepJobHooks) => Promise<R>): Promise<number> {
  const stop = stopOnSigint();
  let report: R;
  try {
    report = await start({
      shouldStop: stop.requested,
      onMessage: (m) => console.error(m),
      onProgress: (p) => {
        if (p.step % Math.max(1, Math.round(p.steps / 20)) === 0 || p.step === p.steps) console.error(`step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} ETA ${Math.round(p.etaSec)} s`);
      },
    });
  } finally {
    stop.dispose();
  }
  if (json) console.log(JSON.stringify(report, null, 2));
  return report.status === 'stopped' ? EXIT.interrupted : EXIT.ok;
}

/** A step-counted run's saved config: its total steps and, for a one-cycle schedule, the schedule's length. */
interface StepRunConfig {
  readonly format: string;
  readonly steps: number;
  readonly job: { readonly schedule: Schedule };
}

/**
 * `--resume RUN_DIR [--steps N]` of a step-counted job: the folder's config.json (of `format`, else a CliError naming
 * the folder), with a new length if asked. A longer run stretches its one-cycle schedule: the lr is fed per step, so
 * the graph and its checkpoints are unchanged.
 */
export function resumedStepConfig<C extends StepRunConfig>(resume: string, format: string, stepsFlag: string | undefined): { runDir: string; config: C } {
  const runDir = resolve(resume);
  let saved: C;
  try {
    saved = loadJsonFile<C>(join(runDir, RUN_FILES.config), format);
  } catch (error) {
    throw new CliError(`--resume ${resume}: ${(error as Error).message}`);
  }
  const steps = positiveIntOption('steps', stepsFlag);
  if (steps === undefined) return { runDir, config: saved };
  const schedule = saved.job.schedule.kind === 'one-cycle' ? { ...saved.job.schedule, totalSteps: steps } : saved.job.schedule;
  return { runDir, config: { ...saved, steps, job: { ...saved.job, schedule } } };
}
