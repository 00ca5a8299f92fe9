import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { readNiftiFile, readNiftiHeaderFile, readNiftiLabelFile, isGzip } from '../../node/nifti/index.js';
import { CliError, UsageError, type CliCommand } from '../command.js';
import { median } from '../../node/bench/stats.js';

const usage = `usage: anadiff bench nifti FILE [--json] [--repeat N] [--python PATH]

Times loading FILE (parse + decompress + scale to float32) with anadiff, with nibabel
(nibabel.load(f).get_fdata(dtype=float32), timed inside one Python process), and bare zlib inflate of the
same bytes already in memory (the floor). The three run in turn, round after round, so changing machine
load affects them alike. Prints medians and ratios. A uint8 file (a label map) is also read the way label maps
are read for training and preprocessing, as uint8 (readNiftiLabelFile), timed as "labels".
--json prints {"anadiff": {"median_ms"}, "nibabel": {"median_ms"} | null, "inflate": {"median_ms"},
"labels": {"median_ms"} | null, ...}.
--python defaults to /usr/bin/python3 (Debian's python3-nibabel).`;

/** A Python worker: one line in, one load timed, one line (milliseconds) out. Start-up is not timed. */
const NIBABEL_SCRIPT = `
import sys, time
import numpy as np, nibabel as nib
path = sys.argv[1]
print('ready', flush=True)
for _ in sys.stdin:
    t = time.perf_counter()
    nib.load(path).get_fdata(dtype=np.float32)
    print((time.perf_counter() - t) * 1000, flush=True)
`;

/** Starts the nibabel worker; resolves to a function that times one load, or to an error string. */
async function startNibabel(python: string, file: string): Promise<{ load: () => Promise<number>; stop: () => void } | string> {
  const child = spawn(python, ['-c', NIBABEL_SCRIPT, file], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const failure = new Promise<string>((resolveFailure) => {
    child.on('error', (err) => resolveFailure(`${python}: ${err.message}`));
    child.on('exit', () => resolveFailure((stderr.trim().split('\n').pop() ?? 'nibabel worker exited').slice(0, 200)));
  });
  const nextLine = async (): Promise<string> => {
    const line = await Promise.race([lines.next().then((r) => (r.done ? undefined : r.value)), failure.then(() => undefined)]);
    if (line === undefined) throw new Error(await failure);
    return line;
  };
  try {
    await nextLine();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return {
    load: async () => {
      child.stdin.write('load\n');
      const ms = Number(await nextLine());
      if (!Number.isFinite(ms)) throw new Error(`nibabel worker answered ${ms}`);
      return ms;
    },
    stop: () => { child.stdin.end(); child.kill(); },
  };
}

export interface Timing {
  readonly median_ms: number;
  readonly runs_ms: number[];
}

function timing(runs: number[]): Timing {
  return { median_ms: Number(median(runs).toFixed(2)), runs_ms: runs.map((r) => Number(r.toFixed(2))) };
}

/**
 * Runs each contender once to warm up, then `repeat` rounds that run every contender once in turn, so a
 * machine whose load changes during the benchmark slows all of them alike. A contender may report its own
 * duration (the nibabel worker times itself, leaving out the pipe round trip).
 */
async function timeInterleaved(repeat: number, contenders: readonly (() => Promise<number | void> | unknown)[]): Promise<number[][]> {
  for (const once of contenders) await once(); // warm-up: JIT, page cache, lazy imports
  const runs = contenders.map((): number[] => []);
  for (let i = 0; i < repeat; i++) {
    for (let c = 0; c < contenders.length; c++) {
      const start = performance.now();
      const reported = await (contenders[c] as () => unknown)();
      runs[c]!.push(typeof reported === 'number' ? reported : performance.now() - start);
    }
  }
  return runs;
}

export const benchNiftiCommand: CliCommand = {
  name: 'bench nifti',
  summary: 'time NIfTI loading against nibabel and bare gzip inflate',
  usage,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv], allowPositionals: true,
      options: { json: { type: 'boolean' }, repeat: { type: 'string' }, python: { type: 'string' } },
    });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new UsageError(`expected one FILE\n${usage}`);
    const repeat = values.repeat === undefined ? 5 : Number(values.repeat);
    if (!Number.isInteger(repeat) || repeat < 1) throw new UsageError(`--repeat must be a positive integer, got ${values.repeat}`);

    const bytes = readFileSync(file);
    const gzip = isGzip(bytes);
    const uint8 = (await readNiftiHeaderFile(file)).layout.datatype.name === 'uint8';
    const worker = await startNibabel(values.python ?? '/usr/bin/python3', file);
    const nib = typeof worker === 'string' ? { error: worker } : {};
    let runs: number[][];
    try {
      runs = await timeInterleaved(repeat, [
        async () => { await readNiftiFile(file); },
        // The floor: inflating the same bytes from memory (an uncompressed file has no inflate; a copy stands in).
        () => (gzip ? gunzipSync(bytes) : Buffer.from(bytes)),
        ...(typeof worker === 'string' ? [] : [worker.load]),
        ...(uint8 ? [async () => { await readNiftiLabelFile(file); }] : []),
      ]);
    } finally {
      if (typeof worker !== 'string') worker.stop();
    }
    const anadiff = timing(runs[0] ?? []);
    const inflate = timing(runs[1] ?? []);
    const nibabel = typeof worker === 'string' ? null : timing(runs[2] ?? []);
    const labelRuns = runs[typeof worker === 'string' ? 2 : 3];
    const labels = uint8 && labelRuns ? timing(labelRuns) : null;
    const ratios = {
      anadiff_over_nibabel: nibabel ? Number((anadiff.median_ms / nibabel.median_ms).toFixed(3)) : null,
      anadiff_over_inflate: Number((anadiff.median_ms / inflate.median_ms).toFixed(3)),
      labels_over_nibabel: labels && nibabel ? Number((labels.median_ms / nibabel.median_ms).toFixed(3)) : null,
    };
    if (values.json) {
      console.log(JSON.stringify({ file, repeat, gzip, anadiff, nibabel, inflate, labels, ratios, ...('error' in nib ? { nibabel_error: nib.error } : {}) }));
      return 0;
    }
    const row = (name: string, t: Timing | null, note: string) => `${name.padEnd(9)} ${t ? `${t.median_ms.toFixed(1).padStart(9)} ms` : '        n/a'}  ${note}`;
    console.log([
      `${file} (${gzip ? 'gzip' : 'uncompressed'}), median of ${repeat}`,
      row('anadiff', anadiff, 'readNiftiFile: read + inflate + decode to float32'),
      row('nibabel', nibabel, 'error' in nib ? `unavailable: ${nib.error}` : 'nib.load(f).get_fdata(dtype=float32)'),
      row('inflate', inflate, gzip ? 'zlib.gunzipSync of the bytes in memory (floor)' : 'copy of the bytes in memory (floor)'),
      ...(labels ? [row('labels', labels, 'readNiftiLabelFile: read + inflate + uint8 class ids (how label maps are read)')] : []),
      `anadiff / nibabel = ${ratios.anadiff_over_nibabel ?? 'n/a'}   anadiff / inflate = ${ratios.anadiff_over_inflate}${labels ? `   labels / nibabel = ${ratios.labels_over_nibabel ?? 'n/a'}` : ''}`,
    ].join('\n'));
    return 0;
  },
};
