/**
 * What the scheduler says about a submitted job, read from squeue (pending and running), `scontrol show job`
 * (recently finished, kept for MinJobAge) and sacct (finished, where accounting is on). Pure parsing, so the
 * formats are tested without a cluster.
 */

/** Slurm's job states folded to what a run list shows. */
export type SchedulerState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'unknown';

export interface TaskState {
  /** `123` for a plain job, `123_4` for array task 4. */
  readonly jobId: string;
  /** The array task id, when the job is an array task. */
  readonly task?: number | undefined;
  /** Slurm's own word, e.g. PENDING, RUNNING, COMPLETED, TIMEOUT. */
  readonly slurm: string;
  readonly state: SchedulerState;
}

export function foldState(slurm: string): SchedulerState {
  const s = slurm.trim().toUpperCase().split(/\s+/)[0] ?? '';
  if (['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'SUSPENDED'].includes(s)) return 'queued';
  if (['RUNNING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING', 'RESIZING'].includes(s)) return 'running';
  if (s === 'COMPLETED') return 'done';
  if (s.startsWith('CANCELLED')) return 'cancelled';
  if (['FAILED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE', 'PREEMPTED', 'SPECIAL_EXIT', 'REVOKED'].includes(s)) return 'failed';
  return 'unknown';
}

function taskOf(jobId: string): number | undefined {
  const m = /_(\d+)$/.exec(jobId);
  return m ? Number(m[1]) : undefined;
}

/** `squeue -h -o %i|%T` lines, e.g. `12_0|RUNNING`, `12_[2-4]|PENDING` (pending tasks folded into one line). */
export function parseSqueue(text: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of text.split('\n')) {
    const [id, slurm] = line.trim().split('|');
    if (!id || !slurm) continue;
    const folded = /^(\d+)_\[([^\]]+)\]$/.exec(id);
    if (folded) {
      for (const range of (folded[2] ?? '').replace(/%\d+$/, '').split(',')) {
        const [a, b] = range.split('-').map(Number);
        if (a === undefined || Number.isNaN(a)) continue;
        for (let t = a; t <= (b ?? a); t++) out.push({ jobId: `${folded[1]}_${t}`, task: t, slurm, state: foldState(slurm) });
      }
    } else out.push({ jobId: id, task: taskOf(id), slurm, state: foldState(slurm) });
  }
  return out;
}

/** `scontrol show job -o ID`: one line of `Key=Value` pairs per job (per array task). */
export function parseScontrol(text: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of text.split('\n')) {
    const field = (key: string): string | undefined => new RegExp(`(?:^|\\s)${key}=(\\S+)`).exec(line)?.[1];
    const jobId = field('JobId');
    const slurm = field('JobState');
    if (!jobId || !slurm) continue;
    const arrayJob = field('ArrayJobId');
    const arrayTask = field('ArrayTaskId');
    if (arrayJob && arrayTask && /^\d+$/.test(arrayTask)) out.push({ jobId: `${arrayJob}_${arrayTask}`, task: Number(arrayTask), slurm, state: foldState(slurm) });
    else out.push({ jobId, slurm, state: foldState(slurm) });
  }
  return out;
}

/** `sacct -n -P -X -o JobID,State` lines, e.g. `12_0|COMPLETED`, `13|CANCELLED by 0`. */
export function parseSacct(text: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of text.split('\n')) {
    const [id, slurm] = line.trim().split('|');
    if (!id || !slurm || id.includes('.')) continue;
    out.push({ jobId: id, task: taskOf(id), slurm, state: foldState(slurm) });
  }
  return out;
}
