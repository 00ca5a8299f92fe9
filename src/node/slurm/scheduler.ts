/**
 * Talks to Slurm through its command-line tools (sbatch, squeue, scontrol, sacct, scancel), always with an
 * argument array, never a shell string. `SLURM_CONF` and PATH come from the caller's environment, as for any
 * Slurm user.
 */
import { execFile } from 'node:child_process';
import { parseSacct, parseScontrol, parseSqueue, type TaskState } from '../../core/slurm/state.js';

export class SlurmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlurmError';
  }
}

function run(tool: string, args: readonly string[], timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(tool, [...args], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new SlurmError(`${tool} not found on PATH: is this a Slurm login node? (anadiff submit --slurm needs sbatch, squeue, scancel)`));
        return;
      }
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Submits the script; returns the job id sbatch prints (`--parsable`: `123` or `123;cluster`). */
export async function sbatch(script: string): Promise<string> {
  const r = await run('sbatch', ['--parsable', script]);
  const id = r.stdout.trim().split(';')[0] ?? '';
  if (r.code !== 0 || !/^\d+$/.test(id)) throw new SlurmError(`sbatch ${script} failed: ${(r.stderr || r.stdout).trim().split('\n')[0] ?? `exit ${r.code}`}`);
  return id;
}

/**
 * The states of a job's tasks: squeue for those still in the queue, then scontrol for recently finished ones, then
 * sacct (when accounting is on) for older ones. Tasks no tool knows are absent.
 */
export async function jobStates(jobId: string): Promise<TaskState[]> {
  const found = new Map<string, TaskState>();
  const add = (states: readonly TaskState[]): void => { for (const s of states) if (!found.has(s.jobId)) found.set(s.jobId, s); };
  const queue = await run('squeue', ['-h', '-j', jobId, '-o', '%i|%T']);
  if (queue.code === 0) add(parseSqueue(queue.stdout));
  const control = await run('scontrol', ['show', 'job', '-o', jobId]);
  if (control.code === 0) add(parseScontrol(control.stdout));
  const accounting = await run('sacct', ['-n', '-P', '-X', '-j', jobId, '-o', 'JobID,State']);
  if (accounting.code === 0) add(parseSacct(accounting.stdout));
  return [...found.values()];
}

export async function scancel(jobId: string): Promise<void> {
  const r = await run('scancel', [jobId]);
  if (r.code !== 0) throw new SlurmError(`scancel ${jobId} failed: ${(r.stderr || r.stdout).trim().split('\n')[0] ?? `exit ${r.code}`}`);
}
