/**
 * `--config FILE` of the run-folder jobs (train, pretrain, coords train): the file's options become the flags they
 * stand for, placed before the command line's own flags so those win (core/jobs/job-config.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { JobConfigError, jobConfigArgs } from '../../core/jobs/job-config.js';
import { CONFIG_DATA_OPTIONS, JOB_OPTIONS, parseArgsOptions, type ConfigJob, type ParseArgsOptions } from '../../core/jobs/job-options.js';
import { CliError, UsageError } from '../command.js';

/** parseArgs's options for a job: its option table plus the command line's own `resume`, `json` and `config`. */
export function jobParseOptions<J extends ConfigJob>(job: J): ParseArgsOptions<(typeof JOB_OPTIONS)[J]> & { resume: { type: 'string' }; json: { type: 'boolean' }; config: { type: 'string' } } {
  return { ...parseArgsOptions(JOB_OPTIONS[job]), resume: { type: 'string' as const }, json: { type: 'boolean' as const }, config: { type: 'string' as const } };
}

export const CONFIG_USAGE = `  --config FILE         read the options from a job config (*.anadiff-<job>.json, schema in schemas/); flags
                        given beside it win`;

/**
 * Runs `run` on argv with `--config FILE` replaced by the file's flags. A usage error then says which file its flags
 * came from; a file that cannot be read or is not a config of this job is an error naming it (exit 1).
 */
export async function withJobConfig(job: ConfigJob, argv: readonly string[], run: (argv: readonly string[]) => Promise<number>): Promise<number> {
  const at = argv.findIndex((a) => a === '--config' || a.startsWith('--config='));
  if (at < 0) return run(argv);
  const path = argv[at]!.startsWith('--config=') ? argv[at]!.slice('--config='.length) : argv[at + 1];
  if (path === undefined || path === '' || path.startsWith('--')) throw new UsageError('--config needs a file: --config FILE');
  const rest = [...argv.slice(0, at), ...argv.slice(at + (argv[at]!.startsWith('--config=') ? 1 : 2))];
  if (rest.some((a) => a === '--config' || a.startsWith('--config='))) throw new UsageError('give --config once');
  const named = new Set(rest.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]!));
  if (named.has('resume')) throw new UsageError('--resume continues a run with its own config.json; drop --config');
  const file = resolve(path);
  let doc: unknown;
  try {
    if (statSync(file).isDirectory()) throw new Error('a folder, not a config file');
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new CliError(`--config ${path}: ${why}`);
  }
  let fromFile: string[];
  try {
    fromFile = jobConfigArgs(doc, job, path, (p) => resolve(dirname(file), p));
  } catch (e) {
    throw e instanceof JobConfigError ? new CliError(e.message) : e;
  }
  // The command line wins: the config's options it sets are dropped, and all the config's data options when it names data.
  const data = CONFIG_DATA_OPTIONS[job];
  const overridden = (name: string): boolean => named.has(name) || (data.includes(name) && data.some((d) => named.has(d)));
  fromFile = fromFile.filter((a) => !overridden(a.slice(2).split('=')[0]!));
  try {
    return await run([...fromFile, ...rest]);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`${e.message} (options read from ${path})`);
    throw e;
  }
}
