/**
 * The sbatch script for one anadiff job (`anadiff submit --slurm`). The job's arguments are the user's, so every
 * one is single-quoted for the shell that runs the script; the only unquoted text is what the script itself needs
 * ($SLURM_ARRAY_TASK_ID). Placeholders in the job's arguments: `{task}` (the array task id) and `{run}` (that task's
 * run folder: the run folder itself for a single job, `<run>/task-<id>` for an array).
 */

export interface SbatchRequest {
  /** Absolute run folder created by `submit`; holds the script, slurm.json and the scheduler's logs. */
  readonly runDir: string;
  readonly jobName: string;
  /** `node` and the anadiff entry script, as absolute paths on the shared file system. */
  readonly node: string;
  readonly entry: string;
  /** The job: anadiff's arguments after `--`, placeholders unexpanded. */
  readonly jobArgs: readonly string[];
  /** Working directory of the job (where `submit` ran). */
  readonly workdir: string;
  readonly partition?: string | undefined;
  readonly gpus?: number | undefined;
  /** Slurm time limit, e.g. `02:00:00` or `1-00:00:00`. */
  readonly time?: string | undefined;
  readonly cpus?: number | undefined;
  /** e.g. `16G`. */
  readonly mem?: string | undefined;
  /** Slurm array spec, e.g. `0-4` or `0,2,5`. */
  readonly array?: string | undefined;
}

/** `'...'` with embedded single quotes closed, escaped and reopened: safe for any string in POSIX sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const TASK = '{task}';
const RUN = '{run}';

/** One argument as shell text: literal parts quoted, `{task}` -> the array task id, `{run}` -> the task's run folder. */
export function shellArg(arg: string, runDir: string, isArray: boolean): string {
  const parts = arg.split(/(\{task\}|\{run\})/).filter((p) => p !== '');
  if (parts.length === 0) return "''";
  return parts.map((p) => {
    if (p === TASK) return '"${SLURM_ARRAY_TASK_ID:-0}"';
    if (p === RUN) return isArray ? `${shellQuote(`${runDir}/task-`)}"\${SLURM_ARRAY_TASK_ID}"` : shellQuote(runDir);
    return shellQuote(p);
  }).join('');
}

/** The run folder one task writes, as `submit` and `runs` name it. */
export function taskRunDir(runDir: string, task: number | undefined): string {
  return task === undefined ? runDir : `${runDir}/task-${task}`;
}

/** Array task ids of a Slurm array spec (`0-4`, `1,3,5`, `0-10:2`, with an optional `%N` throttle). */
export function arrayTasks(spec: string): number[] {
  const body = spec.replace(/%\d+$/, '');
  const out: number[] = [];
  for (const piece of body.split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(piece.trim());
    if (!m) throw new Error(`--array "${spec}": each part must be N, N-M or N-M:STEP (e.g. 0-4, 0,2,5)`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    if (to < from || step < 1) throw new Error(`--array "${spec}": "${piece}" is an empty range`);
    for (let t = from; t <= to; t += step) out.push(t);
  }
  if (out.length > 10_000) throw new Error(`--array "${spec}" has ${out.length} tasks (at most 10000)`);
  return [...new Set(out)].sort((a, b) => a - b);
}

export function buildSbatchScript(r: SbatchRequest): string {
  const isArray = r.array !== undefined;
  const directives = [
    `--job-name=${r.jobName}`,
    `--chdir=${r.workdir}`,
    `--output=${r.runDir}/slurm-${isArray ? '%A_%a' : '%j'}.out`,
    ...(r.partition ? [`--partition=${r.partition}`] : []),
    ...(r.gpus ? [`--gpus=${r.gpus}`] : []),
    ...(r.time ? [`--time=${r.time}`] : []),
    ...(r.cpus ? [`--cpus-per-task=${r.cpus}`] : []),
    ...(r.mem ? [`--mem=${r.mem}`] : []),
    ...(isArray ? [`--array=${r.array}`] : []),
  ];
  for (const d of directives) {
    // A directive line is read by sbatch, not by a shell: it cannot quote, so refuse what would split or end it.
    if (/[\n\r]/.test(d) || (/\s/.test(d) && !d.startsWith('--chdir=') && !d.startsWith('--output='))) throw new Error(`sbatch option "${d}" contains white space or a line break`);
  }
  const command = [shellQuote(r.node), shellQuote(r.entry), ...r.jobArgs.map((a) => shellArg(a, r.runDir, isArray))].join(' ');
  return [
    '#!/bin/bash',
    '# Written by `anadiff submit --slurm`; the run folder it lives in is the job\'s interface (docs/slurm.md).',
    ...directives.map((d) => `#SBATCH ${d}`),
    'set -euo pipefail',
    `exec ${command}`,
    '',
  ].join('\n');
}
