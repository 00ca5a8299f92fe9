/**
 * Job config files (`<name>.anadiff-train.json`, `.anadiff-pretrain.json`, `.anadiff-coords.json`): a job's options as
 * JSON, what the editor's New … Run commands write and `anadiff <job> --config FILE` runs. A config is turned into the
 * same command-line flags a user would type, so the command checks it exactly as it checks flags. Flags given beside
 * `--config` win: a config option the command line also sets is dropped, and so are the config's data options when
 * the command line names its own data (CONFIG_DATA_OPTIONS).
 *
 *   { "format": "anadiff-job", "version": 1, "job": "train",
 *     "options": { "phantom": true, "epochs": 3, "patch": [32, 32, 16] } }
 */
import { JOB_OPTIONS, type ConfigJob, type JobOption, type JobOptions } from './job-options.js';

export const JOB_CONFIG_FORMAT = 'anadiff-job';
export const JOB_CONFIG_VERSION = 1;

export type JobOptionValue = boolean | number | string | readonly (number | string)[];

export interface JobConfig {
  readonly format: typeof JOB_CONFIG_FORMAT;
  readonly version: typeof JOB_CONFIG_VERSION;
  readonly job: ConfigJob;
  readonly options: Readonly<Record<string, JobOptionValue>>;
}

export class JobConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobConfigError';
  }
}

/** A new config for `job` (the editor writes these). */
export function jobConfig(job: ConfigJob, options: Readonly<Record<string, JobOptionValue>>): JobConfig {
  return { format: JOB_CONFIG_FORMAT, version: JOB_CONFIG_VERSION, job, options };
}

/**
 * The command-line flags of a config for `job`. `resolvePath` makes a path option absolute (relative paths are read
 * from the config file's folder). Throws JobConfigError naming `where` (the file) and the key for anything that is
 * not a config of this job or not an option's shape.
 */
export function jobConfigArgs(doc: unknown, job: ConfigJob, where: string, resolvePath: (p: string) => string): string[] {
  const fail = (what: string): never => {
    throw new JobConfigError(`${where}: ${what}`);
  };
  if (!isObject(doc)) return fail('not a JSON object');
  const extra = Object.keys(doc).filter((k) => !['$schema', 'format', 'version', 'job', 'options'].includes(k));
  if (extra.length > 0) fail(`unknown field ${extra.map((k) => JSON.stringify(k)).join(', ')}`);
  if (doc.format !== JOB_CONFIG_FORMAT) fail(`"format" must be "${JOB_CONFIG_FORMAT}", got ${JSON.stringify(doc.format)}`);
  if (doc.version !== JOB_CONFIG_VERSION) fail(`"version" must be ${JOB_CONFIG_VERSION}, got ${JSON.stringify(doc.version)}`);
  if (doc.job !== job) fail(`a config of job ${JSON.stringify(doc.job)}, not of \`anadiff ${job}\``);
  if (!isObject(doc.options)) return fail('"options" must be an object');
  const table: JobOptions = JOB_OPTIONS[job];
  const args: string[] = [];
  for (const [key, value] of Object.entries(doc.options)) {
    const option = table[key];
    if (!option) fail(`options.${key}: not an option of \`anadiff ${job}\``);
    const text = optionArgs(option!, value, resolvePath);
    if (typeof text === 'string') fail(`options.${key}: ${text}, got ${JSON.stringify(value)}`);
    // `--key=value`: a value that begins with '-' stays a value
    for (const v of text as (string | boolean)[]) if (v !== false) args.push(v === true ? `--${key}` : `--${key}=${v}`);
  }
  return args;
}

/** The flag values of one option (true: the bare flag, false: absent), or what the value should have been. */
function optionArgs(o: JobOption, v: unknown, resolvePath: (p: string) => string): (string | boolean)[] | string {
  const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  switch (o.kind) {
    case 'flag':
      return typeof v === 'boolean' ? [v] : 'must be true or false';
    case 'integer':
      return Number.isSafeInteger(v) && (v as number) >= o.minimum ? [String(v)] : `must be an integer >= ${o.minimum}`;
    case 'number': {
      const ok = finite(v) && (o.minimum === undefined || v >= o.minimum) && (o.maximum === undefined || v <= o.maximum)
        && (o.exclusiveMinimum === undefined || v > o.exclusiveMinimum) && (o.exclusiveMaximum === undefined || v < o.exclusiveMaximum);
      return ok ? [String(v)] : `must be a number${rangeText(o)}`;
    }
    case 'enum':
      return typeof v === 'string' && o.values.includes(v) ? [v] : `must be one of ${o.values.join(', ')}`;
    case 'path':
      if (typeof v !== 'string' || v === '') return `must be a path (a non-empty string)${o.keywords ? ` or ${o.keywords.join(', ')}` : ''}`;
      return [o.keywords?.includes(v) ? v : resolvePath(v)];
    case 'paths':
      return Array.isArray(v) && v.length > 0 && v.every((p) => typeof p === 'string' && p !== '') ? v.map((p: string) => resolvePath(p)) : 'must be a non-empty array of paths';
    case 'size':
    case 'spacing': {
      const integer = o.kind === 'size';
      const good = (x: unknown): boolean => finite(x) && x > 0 && (!integer || Number.isInteger(x));
      if (Array.isArray(v) && v.length === 3 && v.every(good)) return [v.join('x')];
      return `must be [i, j, k], three ${integer ? 'integers' : 'numbers'} > 0`;
    }
    case 'integers': {
      const ok = Array.isArray(v) && v.length > 0 && (o.length === undefined || v.length === o.length) && v.every((x) => Number.isSafeInteger(x) && (x as number) >= 0);
      return ok ? [(v as number[]).join(',')] : `must be an array of ${o.length ?? 'one or more'} integers >= 0`;
    }
    case 'text':
      return typeof v === 'string' && v !== '' && (o.pattern === undefined || new RegExp(o.pattern).test(v)) ? [v] : `must be a string${o.pattern ? ` matching ${o.pattern}` : ''}`;
  }
}

function rangeText(o: Extract<JobOption, { kind: 'number' }>): string {
  const parts = [
    o.minimum !== undefined ? `>= ${o.minimum}` : '', o.exclusiveMinimum !== undefined ? `> ${o.exclusiveMinimum}` : '',
    o.maximum !== undefined ? `<= ${o.maximum}` : '', o.exclusiveMaximum !== undefined ? `< ${o.exclusiveMaximum}` : '',
  ].filter(Boolean);
  return parts.length ? ` ${parts.join(' and ')}` : '';
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
