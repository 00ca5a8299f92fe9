/**
 * The run folder (docs/run-folder.md): `.anadiff/runs/<time>-<name>/` with config.json, metrics.jsonl, checkpoints/,
 * best/, model.onnx + model.json, train.log and report.json. The editor's run monitor reads it; only this module
 * names its files.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMetricsLine, type ValidationLine } from '../../core/runs/metrics.js';
import { writeTextAtomic } from '../io/atomic-write.js';

export const RUN_FILES = {
  config: 'config.json',
  metrics: 'metrics.jsonl',
  checkpoints: 'checkpoints',
  best: 'best',
  model: 'model.onnx',
  modelInfo: 'model.json',
  log: 'train.log',
  report: 'report.json',
} as const;

/** `20261125-234501-name`: sorts by start time; the name keeps letters, digits, '-' and '_'. */
export function runFolderName(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const safe = name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'run';
  return `${stamp}-${safe}`;
}

export function defaultRunsRoot(cwd = process.cwd()): string {
  return join(cwd, '.anadiff', 'runs');
}

/** metrics.jsonl's line types live with their reader in core (the editor's monitor parses them too). */
export type { ValidationLine } from '../../core/runs/metrics.js';

export function appendMetricsLine(runDir: string, line: ValidationLine): void {
  appendFileSync(join(runDir, RUN_FILES.metrics), `${JSON.stringify(line)}\n`);
}

/** The validation lines already in metrics.jsonl (a resumed run keeps its best-so-far). */
export function readValidationLines(runDir: string): ValidationLine[] {
  const path = join(runDir, RUN_FILES.metrics);
  if (!existsSync(path)) return [];
  const out: ValidationLine[] = [];
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    // a half-written last line of a killed run does not parse and is skipped
    const line = text.includes('"validation"') ? parseMetricsLine(text) : undefined;
    if (line?.kind === 'validation') out.push(line);
  }
  return out;
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeTextAtomic(path, `${JSON.stringify(value, null, 2)}\n`, { overwrite: true });
}

/** Appends to train.log, or `file` (and creates the folder if needed); the log mirrors what the terminal showed. */
export function createRunLog(runDir: string, file: string = RUN_FILES.log): (message: string) => void {
  mkdirSync(runDir, { recursive: true });
  const path = join(runDir, file);
  return (message) => appendFileSync(path, `${new Date().toISOString()} ${message}\n`);
}

/**
 * The opening of every run (train, pretrain, coords train): the folder, its config.json written, and `say`, which
 * appends a line to train.log and hands it to the caller (the terminal, the editor).
 */
export function openRun(runDir: string, config: unknown, onMessage?: (message: string) => void): (message: string) => void {
  const log = createRunLog(runDir);
  writeJsonAtomic(join(runDir, RUN_FILES.config), config);
  return (m) => {
    log(m);
    onMessage?.(m);
  };
}

/** A run folder's JSON file of a known `format`, or an error naming the file and what is wrong. */
export function loadJsonFile<T extends { format: string }>(path: string, format: T['format']): T {
  if (!existsSync(path)) throw new Error(`${path}: missing (is this a run folder?)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const found = (parsed as { format?: unknown } | null)?.format;
  if (found !== format) throw new Error(`${path}: format ${JSON.stringify(found)}, expected "${format}"`);
  return parsed as T;
}
