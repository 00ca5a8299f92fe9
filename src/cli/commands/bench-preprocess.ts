/**
 * `anadiff bench preprocess`: vox2vec preprocessing of one CT from the file on disk by anadiff (readNiftiFile +
 * preprocessCase) and by the same pipeline in numpy/scipy/nibabel (scripts/torch/preprocess_peer.py), each in its own
 * process (honest peak RSS), in one command.
 */
import { resolve } from 'node:path';
import { readNiftiHeaderFile } from '../../node/nifti/index.js';
import { CliError, UsageError, type CliCommand } from '../command.js';
import { runPreprocessSide, type PreprocessSideOptions, type PreprocessSideResult } from './bench-preprocess-child.js';
import { round } from '../../node/bench/stats.js';
import { findPython, peerScriptPath, runTimedSide } from './bench-peer.js';
import { parseTriple } from './train-flags.js';
import { choiceFlag, numberFlag, parseFlags, type ParsedFlags } from './segment-flags.js';

const usage = `usage: anadiff bench preprocess FILE [options]

Times vox2vec's preprocessing of the CT in FILE from disk, as segment and train do per case (read + decode, RAS
orientation, body crop HU >= -500, resampling, body mask, HU clip to [0, 1]): anadiff (readNiftiFile + preprocessCase)
against the same pipeline in numpy/scipy/nibabel (scripts/torch/preprocess_peer.py), each in its own process, both
single-threaded. Prints both medians, the ratio anadiff / python, each side's peak RSS and output dims (a dims
mismatch prints a warning).

  --labels SEG          also read and resample a label map on FILE's grid (nearest), as training does
  --spacing XxYxZ       target spacing in mm (default 1x1x2)
  --repeat N            timed runs per side (default 3), after --warmup W runs (default 1)
  --only anadiff|python run one side
  --python PATH         Python with numpy, scipy and nibabel (default: $ANADIFF_PYTHON, /usr/bin/python3, python3)
  --json                print exactly {"anadiff": {"median_ms", "peak_rss_mb", "dims"}, "python": {...}, "ratio"}`;

const VALUE_FLAGS = ['labels', 'spacing', 'repeat', 'warmup', 'only', 'python'];
const COMMAND = 'bench preprocess';
const PEER_MODULES = 'numpy, scipy.ndimage, nibabel';

/** FILE may stand anywhere among the options: the words that are neither flags nor a flag's value. */
function splitPositionals(argv: readonly string[]): { positionals: string[]; flags: string[] } {
  const positionals: string[] = [], flags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) positionals.push(arg);
    else {
      flags.push(arg);
      if (VALUE_FLAGS.includes(arg.slice(2)) && i + 1 < argv.length) flags.push(argv[++i]!);
    }
  }
  return { positionals, flags };
}

function sideOptions(file: string, flags: ParsedFlags): PreprocessSideOptions {
  const int = (key: string, fallback: number, min: number): number =>
    numberFlag(COMMAND, flags, key, (n) => Number.isInteger(n) && n >= min, `an integer >= ${min}`) ?? fallback;
  const labels = flags.values.labels;
  return {
    file, ...(labels ? { labels } : {}), spacingMm: parseTriple('spacing', flags.values.spacing ?? '1x1x2', false),
    repeat: int('repeat', 3, 1), warmup: int('warmup', 1, 0),
  };
}

/** The argv both children understand (the anadiff child adds --child). */
function sideArgs(o: PreprocessSideOptions): string[] {
  return [o.file, ...(o.labels ? ['--labels', o.labels] : []), '--spacing', o.spacingMm.join('x'), '--repeat', String(o.repeat), '--warmup', String(o.warmup)];
}

/** One side's result: its JSON line must carry median_ms, peak_rss_mb and the output dims. */
function runSide(what: string, cmd: string, args: readonly string[]): PreprocessSideResult {
  const parsed = runTimedSide<PreprocessSideResult>(COMMAND, what, cmd, args);
  if (typeof parsed.peak_rss_mb !== 'number' || !Array.isArray(parsed.dims) || parsed.dims.length !== 3) {
    throw new CliError(`${COMMAND}: the ${what} side printed no result: ${JSON.stringify(parsed)}`);
  }
  return parsed;
}

/** Header only, so a missing or broken file fails in a second with its own message, before any side starts. */
async function checkReadable(path: string, role: string): Promise<[number, number, number]> {
  try {
    return (await readNiftiHeaderFile(path)).layout.dims;
  } catch (err) {
    throw new CliError(`${COMMAND}: ${role} ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function sideSummary(r: PreprocessSideResult | undefined): { median_ms: number; peak_rss_mb: number; dims: [number, number, number] } | null {
  return r ? { median_ms: round(r.median_ms, 1), peak_rss_mb: round(r.peak_rss_mb, 1), dims: r.dims } : null;
}

async function run(argv: readonly string[]): Promise<number> {
  const { positionals, flags: flagArgs } = splitPositionals(argv);
  const flags = parseFlags(COMMAND, flagArgs, { values: VALUE_FLAGS, switches: ['json', 'child'] }, usage);
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError(`${COMMAND}: expected one FILE, got ${positionals.length}\n${usage}`);
  const o = sideOptions(file, flags);
  if (flags.switches.has('child')) {
    console.log(JSON.stringify(await runPreprocessSide(o)));
    return 0;
  }
  const only = choiceFlag(COMMAND, flags, 'only', ['anadiff', 'python'] as const);
  const sourceDims = await checkReadable(o.file, 'FILE');
  if (o.labels) await checkReadable(o.labels, '--labels');
  const python = only === 'anadiff' ? undefined : findPython(COMMAND, PEER_MODULES, flags.values.python);

  const anadiff = only === 'python' ? undefined
    : runSide('anadiff', process.execPath, [...process.execArgv, '--expose-gc', resolve(process.argv[1] ?? ''), 'bench', 'preprocess', '--child', ...sideArgs(o)]);
  const peer = python === undefined ? undefined : runSide('python', python, [peerScriptPath('preprocess_peer.py'), ...sideArgs(o)]);
  const ratio = anadiff && peer ? round(anadiff.median_ms / peer.median_ms, 3) : null;
  const mismatch = anadiff && peer && anadiff.dims.join('x') !== peer.dims.join('x')
    ? `warning: output dims differ: anadiff ${anadiff.dims.join('x')}, python ${peer.dims.join('x')}` : undefined;

  if (flags.switches.has('json')) {
    if (mismatch) console.error(`${COMMAND}: ${mismatch}`); // stdout stays exactly one object
    console.log(JSON.stringify({ anadiff: sideSummary(anadiff), python: sideSummary(peer), ratio }));
    return 0;
  }
  console.log(`${COMMAND}: ${o.file}${o.labels ? ` + labels ${o.labels}` : ''}, ${sourceDims.join('x')} -> ${o.spacingMm.join('x')} mm, median of ${o.repeat} after ${o.warmup} warm-up, each side in its own process, single-threaded`);
  for (const [name, r] of [['anadiff', anadiff], ['python', peer]] as const) {
    if (!r) continue;
    console.log(`  ${name.padEnd(8)} ${(r.median_ms / 1000).toFixed(2).padStart(7)} s  (read ${(r.read_ms / 1000).toFixed(2)} s + preprocess ${(r.preprocess_ms / 1000).toFixed(2)} s)   peak RSS ${r.peak_rss_mb.toFixed(0).padStart(5)} MB   -> ${r.dims.join('x')}`);
  }
  if (ratio !== null) console.log(`  ratio (anadiff / python): ${ratio.toFixed(3)}`);
  if (mismatch) console.log(`  ${mismatch}`);
  else if (anadiff && peer) console.log('  output dims agree');
  return 0;
}

export const benchPreprocessCommand: CliCommand = {
  name: 'bench preprocess',
  summary: 'time vox2vec preprocessing of a CT file (read, RAS, crop, resample, mask, clip) against numpy/scipy/nibabel',
  usage,
  run,
};
