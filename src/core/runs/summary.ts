/**
 * What the Runs tree and the monitor say about one run folder, from its files alone: config.json, report.json,
 * run.lock's holder and metrics.jsonl's lines. Pure: the caller reads the files (src/node/runs/run-reader.ts).
 *
 * Status, in order of precedence:
 *   running   run.lock's pid is alive on this host (or a job this editor started for the folder still runs)
 *   elsewhere run.lock names another host: cannot tell whether it runs
 *   done / stopped  report.json's status (written at the end, or on Ctrl-C / SIGTERM; a protocol report: done)
 *   stale     run.lock present but its pid is gone on this host: killed without a report
 *   failed    none of these (crashed, or killed before it took the lock)
 */
import type { MetricsHistory, StepLine, ValidationLine } from './metrics.js';

export type RunStatus = 'running' | 'elsewhere' | 'done' | 'stopped' | 'stale' | 'failed';

/** run.lock's holder as the reader saw it (src/node/runs/run-lock.ts RunLockState). */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly kind: string;
  readonly startedAt: string;
  readonly alive: boolean | undefined;
}

export interface RunSummary {
  /** The folder's name (`20261125-234501-tiny`). */
  readonly name: string;
  /** "train", "protocol", ... (the lock's kind, else from the files' format). */
  readonly kind: string;
  readonly status: RunStatus;
  /** Last step written (metrics.jsonl, else report.json). */
  readonly step: number | undefined;
  /** epochs x stepsPerEpoch (config.json, else report.json). */
  readonly totalSteps: number | undefined;
  /** Seconds left while running: remaining steps x mean step time of the last 20 steps, plus the validations left. */
  readonly etaSec: number | undefined;
  readonly lastLoss: number | undefined;
  readonly best: { readonly meanDice: number; readonly step: number; readonly epoch: number } | undefined;
  /** The newest validation's Dice per class. */
  readonly latestDice: Readonly<Record<string, number>> | undefined;
  /** Class names from config.json in label order (the Dice table's rows). */
  readonly classNames: readonly string[];
  /** Short configuration words for the tree's tooltip: mode, net, preset. */
  readonly description: string;
  readonly holder: LockHolder | undefined;
}

export interface RunFiles {
  readonly name: string;
  /** Parsed config.json, or undefined when absent or unreadable. */
  readonly config: unknown;
  /** Parsed report.json, or undefined. */
  readonly report: unknown;
  readonly lock: LockHolder | undefined;
  readonly history: MetricsHistory;
  /** A job this editor started for this folder is still running (before it has taken the lock). */
  readonly jobRunning?: boolean;
}

interface ConfigFields {
  readonly format?: string;
  /** pretrain and coords runs: total steps (a train run has epochs x stepsPerEpoch instead). */
  readonly steps?: number;
  /** pretrain and coords runs: the job, whose method and preset describe the run. */
  readonly job?: { readonly method?: unknown; readonly preset?: unknown };
  readonly mode?: string;
  readonly net?: string;
  readonly preset?: string;
  readonly epochs?: number;
  readonly stepsPerEpoch?: number;
  readonly val?: readonly unknown[];
  readonly classNames?: readonly unknown[];
}

interface ReportFields {
  readonly format?: string;
  readonly status?: string;
  readonly step?: number;
  readonly steps?: number;
  readonly lastLoss?: number;
  readonly best?: { readonly step?: number; readonly epoch?: number; readonly meanDice?: number };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = <T>(v: unknown): T | undefined => (v && typeof v === 'object' ? (v as T) : undefined);

/** Mean of the last `n` step times in ms (session.run time: the trainer's own measure), undefined without any. */
function recentMsPerStep(steps: readonly StepLine[], n = 20): number | undefined {
  let sum = 0;
  let count = 0;
  for (let i = steps.length - 1; i >= 0 && count < n; i--) {
    const ms = steps[i]!.ms;
    if (ms === undefined) continue;
    sum += ms;
    count++;
  }
  return count > 0 ? sum / count : undefined;
}

function bestOf(validations: readonly ValidationLine[]): RunSummary['best'] {
  let best: ValidationLine | undefined;
  for (const v of validations) if (!best || v.meanDice > best.meanDice) best = v;
  return best ? { meanDice: best.meanDice, step: best.step, epoch: best.epoch } : undefined;
}

export function statusOf(files: Pick<RunFiles, 'report' | 'lock' | 'jobRunning'>): RunStatus {
  if (files.lock?.alive === true) return 'running';
  if (files.jobRunning) return 'running';
  if (files.lock && files.lock.alive === undefined) return 'elsewhere';
  const report = obj<ReportFields>(files.report);
  // a protocol report has no status: it is written once, when every fold is done
  if (report) return report.status === 'stopped' ? 'stopped' : 'done';
  if (files.lock) return 'stale';
  return 'failed';
}

/** `anadiff-<kind>-run` / `anadiff-<kind>-report` -> the kind a run folder's files were written by. */
function kindOfFormat(format: unknown): string | undefined {
  const m = typeof format === 'string' ? /^anadiff-(train|protocol|pretrain|coords)-(run|report)$/.exec(format) : null;
  return m?.[1];
}

export function summarizeRun(files: RunFiles): RunSummary {
  const config = obj<ConfigFields>(files.config);
  const report = obj<ReportFields>(files.report);
  const { steps, validations } = files.history;
  const status = statusOf(files);
  const lastStep = steps[steps.length - 1];
  const step = lastStep?.step ?? num(report?.step);
  const epochs = num(config?.epochs);
  const perEpoch = num(config?.stepsPerEpoch);
  const totalSteps = epochs !== undefined && perEpoch !== undefined ? epochs * perEpoch : num(config?.steps) ?? num(report?.steps);
  let etaSec: number | undefined;
  const msPerStep = recentMsPerStep(steps);
  if (status === 'running' && msPerStep !== undefined && step !== undefined && totalSteps !== undefined) {
    const lastValidation = validations[validations.length - 1];
    const validationsLeft = perEpoch && (config?.val?.length ?? 1) > 0 ? Math.max(0, Math.ceil(totalSteps / perEpoch) - Math.floor(step / perEpoch)) : 0;
    etaSec = (Math.max(0, totalSteps - step) * msPerStep + validationsLeft * (lastValidation?.ms ?? 0)) / 1000;
  }
  const reportBest = report?.best;
  const best =
    bestOf(validations) ??
    (reportBest && num(reportBest.meanDice) !== undefined ? { meanDice: reportBest.meanDice!, step: num(reportBest.step) ?? 0, epoch: num(reportBest.epoch) ?? 0 } : undefined);
  const kind = files.lock?.kind ?? kindOfFormat(config?.format) ?? kindOfFormat(report?.format) ?? 'run';
  return {
    name: files.name,
    kind,
    status,
    step,
    totalSteps,
    etaSec,
    lastLoss: lastStep?.loss ?? num(report?.lastLoss),
    best,
    latestDice: validations[validations.length - 1]?.dice,
    classNames: Array.isArray(config?.classNames) ? config.classNames.filter((c): c is string => typeof c === 'string') : [],
    description: [config?.mode, config?.net, config?.job?.method, config?.preset ?? config?.job?.preset].filter((w): w is string => typeof w === 'string').join(' '),
    holder: files.lock,
  };
}

/** `4m05s`, `1h02m`: the CLI's progress line uses the same shape. */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  const s = Math.round(sec);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The tree row's description: `running 120/400 ETA 3m10s · Dice 0.412`. */
export function describeRun(s: RunSummary): string {
  const parts: string[] = [s.status];
  if (s.step !== undefined && s.totalSteps !== undefined) parts.push(`${s.step}/${s.totalSteps}`);
  if (s.etaSec !== undefined) parts.push(`ETA ${formatDuration(s.etaSec)}`);
  let text = parts.join(' ');
  if (s.best) text += ` · best Dice ${s.best.meanDice.toFixed(3)}`;
  return text;
}
