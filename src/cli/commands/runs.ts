import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { taskRunDir } from '../../core/slurm/sbatch.js';
import type { TaskState } from '../../core/slurm/state.js';
import { defaultRunsRoot } from '../../node/runs/run-folder.js';
import { jobStates, scancel } from '../../node/slurm/scheduler.js';
import { folderStatus, listRunFolders, readSlurmRecord, type RunRow } from '../../node/slurm/submission.js';
import { CliError, UsageError, type CliCommand } from '../command.js';

const usage = `usage: anadiff runs [--runs-root DIR] [--json]

Lists the run folders under .anadiff/runs (or --runs-root), newest first: status from the folder itself (report.json,
metrics.jsonl) and, for jobs submitted with \`anadiff submit --slurm\`, the scheduler's state (squeue, scontrol,
sacct). An array job shows one row per task (RUN/task-i).`;

const cancelUsage = `usage: anadiff runs cancel RUN

Cancels the Slurm job (every task of an array) that \`anadiff submit --slurm\` recorded in RUN/slurm.json (scancel).`;

async function rowsOf(dir: string): Promise<RunRow[]> {
  const record = readSlurmRecord(dir);
  if (!record) return [{ name: basename(dir), dir, ...folderStatus(dir) }];
  let states: TaskState[] = [];
  try {
    states = await jobStates(record.jobId);
  } catch { /* not on a Slurm node now: the folder's own status still shows */ }
  const tasks: (number | undefined)[] = record.tasks ? [...record.tasks] : [undefined];
  return tasks.map((task) => {
    const taskDir = taskRunDir(dir, task);
    const jobId = task === undefined ? record.jobId : `${record.jobId}_${task}`;
    const s = states.find((x) => x.jobId === jobId) ?? (task === undefined ? undefined : states.find((x) => x.jobId === record.jobId));
    return {
      name: task === undefined ? basename(dir) : `${basename(dir)}/task-${task}`,
      dir: taskDir,
      ...folderStatus(taskDir),
      slurm: { jobId, state: s?.state ?? 'unknown', slurm: s?.slurm ?? 'not known to squeue/scontrol/sacct' },
    };
  });
}

export const runsCommand: CliCommand = {
  name: 'runs',
  summary: 'list run folders with their status and, for submitted jobs, their Slurm state',
  usage,
  async run(argv) {
    const { values } = parseArgs({ args: [...argv], options: { 'runs-root': { type: 'string' }, json: { type: 'boolean' } }, strict: true });
    const root = resolve(values['runs-root'] ?? defaultRunsRoot());
    const rows: RunRow[] = [];
    for (const dir of listRunFolders(root)) rows.push(...await rowsOf(dir));
    if (values.json) {
      console.log(JSON.stringify({ root, runs: rows }, null, 2));
      return 0;
    }
    if (rows.length === 0) {
      console.log(`no run folders under ${root}`);
      return 0;
    }
    const cells = rows.map((r) => [
      r.name, r.folder, r.step !== undefined && r.steps !== undefined ? `${r.step}/${r.steps}` : '', r.bestDice === undefined ? '' : r.bestDice.toFixed(3),
      r.slurm ? `${r.slurm.jobId} ${r.slurm.slurm}` : '',
    ]);
    const header = ['run', 'status', 'step', 'best Dice', 'slurm'];
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
    for (const line of [header, ...cells]) console.log(line.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
    return 0;
  },
};

export const runsCancelCommand: CliCommand = {
  name: 'runs cancel',
  summary: 'cancel a run folder\'s Slurm job (scancel)',
  usage: cancelUsage,
  async run(argv) {
    const { positionals } = parseArgs({ args: [...argv], options: {}, allowPositionals: true, strict: true });
    if (positionals.length !== 1) throw new UsageError(`give one run folder\n\n${cancelUsage}`);
    const dir = resolve(positionals[0] ?? '');
    if (!existsSync(dir)) throw new CliError(`${dir}: no such run folder`);
    const record = readSlurmRecord(dir);
    if (!record) throw new CliError(`${dir} has no slurm.json: it was not submitted with anadiff submit --slurm`);
    await scancel(record.jobId);
    console.log(`cancelled Slurm job ${record.jobId} (${dir})`);
    return 0;
  },
};
