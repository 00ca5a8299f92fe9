import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { arrayTasks, buildSbatchScript } from '../../core/slurm/sbatch.js';
import { defaultRunsRoot, runFolderName, writeJsonAtomic } from '../../node/runs/run-folder.js';
import { sbatch } from '../../node/slurm/scheduler.js';
import { SLURM_FILES, type SlurmRecord } from '../../node/slurm/submission.js';
import { CliError, UsageError, type CliCommand } from '../command.js';
import { positiveIntOption } from './train-flags.js';

const usage = `usage: anadiff submit --slurm [options] -- <anadiff job and its options>

Submits any anadiff job to Slurm. The run folder is created first (.anadiff/runs/<time>-<name>/); it holds the
sbatch script (slurm.sh), the job id (slurm.json) and the scheduler's output (slurm-*.out), and the job writes its
run there. \`anadiff runs\` lists run folders with their Slurm state; \`anadiff runs cancel RUN\` cancels.

  --partition P   --gpus N   --time T (e.g. 02:00:00)   --cpus N (per task)   --mem M (e.g. 16G)
  --array SPEC    a job array (e.g. 0-4 for the five BTCV folds, 0-2 for three seeds): task i writes RUN/task-i/
  --name NAME     run folder name (default: the job's command)   --runs-root DIR (default .anadiff/runs)
  --dry-run       write the run folder and script, print the script, do not submit

In the job's arguments, {task} becomes the array task id and {run} that task's run folder. train and protocol get
--run-dir {run} unless they already name --run-dir or --resume. Example, five folds as an array:
  anadiff submit --slurm --gpus 1 --time 04:00:00 --array 0-4 -- protocol btcv --data BTCV --mode nonlinear --folds {task}
The cluster must see this installation and the data at the same paths (a shared file system).`;

/** Commands whose output folder `submit` points at the task's run folder. */
const RUN_DIR_JOBS = [['train'], ['protocol', 'btcv']];

export function withRunDir(job: readonly string[]): string[] {
  const takesRunDir = RUN_DIR_JOBS.some((words) => words.every((w, i) => job[i] === w));
  if (!takesRunDir || job.includes('--run-dir') || job.includes('--resume')) return [...job];
  return [...job, '--run-dir', '{run}'];
}

export const submitCommand: CliCommand = {
  name: 'submit',
  summary: 'submit any anadiff job to Slurm (sbatch), with its run folder created first; arrays for folds and seeds',
  usage,
  async run(argv) {
    const split = argv.indexOf('--');
    if (split < 0 || split === argv.length - 1) throw new UsageError(`give the job after --, e.g. anadiff submit --slurm -- train --phantom\n\n${usage}`);
    const own = argv.slice(0, split);
    const job = argv.slice(split + 1);
    const { values } = parseArgs({
      args: [...own],
      options: {
        slurm: { type: 'boolean' }, partition: { type: 'string' }, gpus: { type: 'string' }, time: { type: 'string' }, cpus: { type: 'string' },
        mem: { type: 'string' }, array: { type: 'string' }, name: { type: 'string' }, 'runs-root': { type: 'string' }, 'dry-run': { type: 'boolean' },
      },
      strict: true,
    });
    if (!values.slurm) throw new UsageError('say which scheduler: --slurm (the only one supported)');
    if (job[0]?.startsWith('-')) throw new UsageError(`the job must start with an anadiff command (train, protocol btcv, segment, ...), not "${job[0]}"`);
    const gpus = values.gpus === undefined ? undefined : positiveIntOption('gpus', values.gpus);
    const cpus = values.cpus === undefined ? undefined : positiveIntOption('cpus', values.cpus);
    if (values.time !== undefined && !/^(\d+-)?\d{1,2}(:\d{2}){0,2}$|^\d+$/.test(values.time)) throw new UsageError(`--time "${values.time}" is not a Slurm time (MINUTES, HH:MM:SS or D-HH:MM:SS)`);
    if (values.mem !== undefined && !/^\d+[KMGT]?$/.test(values.mem)) throw new UsageError(`--mem "${values.mem}" is not a Slurm memory size (e.g. 16G)`);
    if (values.partition !== undefined && !/^[\w.-]+$/.test(values.partition)) throw new UsageError(`--partition "${values.partition}" is not a partition name`);
    let tasks: number[] | undefined;
    try {
      tasks = values.array === undefined ? undefined : arrayTasks(values.array);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }

    const name = values.name ?? job.slice(0, job[0] === 'protocol' ? 2 : 1).join('-');
    const runDir = resolve(join(values['runs-root'] ?? defaultRunsRoot(), runFolderName(`slurm-${name}`)));
    mkdirSync(runDir, { recursive: true });
    const jobArgs = withRunDir(job);
    const script = join(runDir, SLURM_FILES.script);
    let text: string;
    try {
      text = buildSbatchScript({
        runDir, jobName: `anadiff-${name}`.replace(/[^\w.-]+/g, '-'), node: process.execPath, entry: resolve(process.argv[1] ?? 'bin/anadiff.js'),
        jobArgs, workdir: process.cwd(), partition: values.partition, gpus, time: values.time, cpus, mem: values.mem, array: values.array,
      });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    writeFileSync(script, text, { mode: 0o755 });
    if (values['dry-run']) {
      console.log(text);
      console.error(`run folder ${runDir} (not submitted: --dry-run)`);
      return 0;
    }
    let jobId: string;
    try {
      jobId = await sbatch(script);
    } catch (e) {
      // Nothing ran: the folder holds only the script, which says nothing the error does not.
      rmSync(runDir, { recursive: true, force: true });
      throw new CliError((e as Error).message);
    }
    const record: SlurmRecord = {
      format: 'anadiff-slurm-job', jobId, ...(tasks ? { array: values.array, tasks } : {}), job: jobArgs, submitted: new Date().toISOString(), script,
    };
    writeJsonAtomic(join(runDir, SLURM_FILES.record), record);
    console.log(`submitted Slurm job ${jobId}${tasks ? ` (array of ${tasks.length})` : ''}; run folder ${runDir}`);
    return 0;
  },
};
