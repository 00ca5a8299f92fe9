/**
 * A submitted job's record in its run folder (`slurm.json`, docs/slurm.md), and what `anadiff runs` shows of a run
 * folder: its own status (report.json, metrics.jsonl) joined with the scheduler's word for it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SchedulerState } from '../../core/slurm/state.js';
import { RUN_FILES } from '../runs/run-folder.js';

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

/** What the run folder itself says: report.json's status, else whether training wrote anything yet. */
export type FolderStatus = 'done' | 'stopped' | 'started' | 'empty';

export interface RunRow {
  readonly name: string;
  readonly dir: string;
  readonly folder: FolderStatus;
  readonly step?: number | undefined;
  readonly steps?: number | undefined;
  readonly bestDice?: number | undefined;
  readonly slurm?: { readonly jobId: string; readonly state: SchedulerState; readonly slurm: string };
}

export function folderStatus(dir: string): Pick<RunRow, 'folder' | 'step' | 'steps' | 'bestDice'> {
  const reportFile = join(dir, RUN_FILES.report);
  if (existsSync(reportFile)) {
    try {
      const r = JSON.parse(readFileSync(reportFile, 'utf8')) as { status?: string; step?: number; steps?: number; best?: { meanDice?: number }; folds?: unknown[] };
      const folder: FolderStatus = r.status === 'stopped' ? 'stopped' : 'done';
      return { folder, step: r.step, steps: r.steps, bestDice: r.best?.meanDice };
    } catch { /* a report being written: fall through */ }
  }
  return { folder: existsSync(join(dir, RUN_FILES.metrics)) || existsSync(join(dir, RUN_FILES.config)) ? 'started' : 'empty' };
}

/** Run folders directly under `root`, newest first (names start with their start time). */
export function listRunFolders(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((n) => statSync(join(root, n)).isDirectory()).sort().reverse().map((n) => join(root, n));
}
