/**
 * A submitted job's record in its run folder (`slurm.json`, docs/slurm.md), and what `anadiff runs` shows of a run
 * folder: its own status (report.json, metrics.jsonl) joined with the scheduler's word for it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SchedulerState } from '../../core/slurm/state.js';
import type { RunStatus } from '../../core/runs/summary.js';
import { RUN_FILES } from '../runs/run-folder.js';
import { RunReader } from '../runs/run-reader.js';

export const SLURM_FILES = { record: 'slurm.json', script: 'slurm.sh' } as const;

export interface SlurmRecord {
  readonly format: 'anadiff-slurm-job';
  readonly jobId: string;
  /** The array spec and its task ids, for an array job. */
  readonly array?: string;
  readonly tasks?: readonly number[];
  /** anadiff's arguments of the job, placeholders unexpanded. */
  readonly job: readonly string[];
  readonly submitted: string;
  readonly script: string;
}

export function readSlurmRecord(runDir: string): SlurmRecord | undefined {
  const file = join(runDir, SLURM_FILES.record);
  if (!existsSync(file)) return undefined;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<SlurmRecord>;
  if (parsed.format !== 'anadiff-slurm-job' || typeof parsed.jobId !== 'string') throw new Error(`${file} is not an anadiff Slurm record`);
  return parsed as SlurmRecord;
}

/** What the run folder itself says (core/runs/summary.ts's status), or `empty` before training wrote anything. */
export type FolderStatus = RunStatus | 'empty';

export interface RunRow {
  readonly name: string;
  readonly dir: string;
  readonly folder: FolderStatus;
  readonly step?: number | undefined;
  readonly steps?: number | undefined;
  readonly bestDice?: number | undefined;
  readonly slurm?: { readonly jobId: string; readonly state: SchedulerState; readonly slurm: string };
}

/** The same reading as the editor's Runs tree (src/node/runs/run-reader.ts): one home for a run's status. */
export function folderStatus(dir: string): Pick<RunRow, 'folder' | 'step' | 'steps' | 'bestDice'> {
  const { summary } = new RunReader(dir).read();
  const started = [RUN_FILES.metrics, RUN_FILES.config, RUN_FILES.report].some((f) => existsSync(join(dir, f)));
  return { folder: started ? summary.status : 'empty', step: summary.step, steps: summary.totalSteps, bestDice: summary.best?.meanDice };
}

/** Run folders directly under `root`, newest first (names start with their start time). */
export function listRunFolders(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((n) => statSync(join(root, n)).isDirectory()).sort().reverse().map((n) => join(root, n));
}
