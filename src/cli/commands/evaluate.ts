/** `anadiff evaluate`: Dice and HD95 of predicted label maps against references (src/node/segment/evaluate.ts). */
import { BTCV13_CLASSES } from '../../core/metrics/dice.js';
import { PreprocessError } from '../../core/preprocess/grid.js';
import { NiftiError } from '../../core/nifti/errors.js';
import { EvaluateError, evaluatePaths, parseClassList, type Evaluation } from '../../node/segment/evaluate.js';
import { CliError, UsageError, type CliCommand } from '../command.js';
import { choiceFlag, parseFlags } from './segment-flags.js';

const usage = `usage: anadiff evaluate --pred P --ref R [--json] [--classes 1..13] [--spacing-grid native|1x1x2] [--ignore-extra-labels]

Dice per class ((2|P&R| + 1e-5) / (|P| + |R| + 1e-5); a class absent from both scores 1), their mean, and the
95th-percentile Hausdorff distance per class in mm (MONAI's; n/a when a class is missing from either map).
P and R are two label-map files on the same grid, or two folders whose files are paired by name (then mean +- sd over
cases is reported).

  --classes LIST           class ids: a range and/or a list, e.g. 1..13 (default), 1,2,6
  --spacing-grid G         native (default): the files' own grid; 1x1x2: both reoriented to RAS and resampled to
                           1x1x2 mm by nearest neighbour (the vox2vec protocol's grid)
  --ignore-extra-labels    score only --classes when a map holds other label ids (default: refuse, naming the ids
                           and their voxels: a 117-class map scored as BTCV-13 gives a meaningless Dice)
  --json                   print one JSON object (NaN as null)`;

const fmt = (v: number, digits = 3): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

function table(e: Evaluation): string {
  const lines = [`grid: ${e.grid}; ${e.cases.length} case(s); classes ${e.classes.join(',')}`];
  for (const c of e.cases) lines.push(`${c.id}: mean Dice ${fmt(c.meanDice)}  [${c.dice.map((d) => fmt(d)).join(' ')}]`);
  lines.push('class   Dice mean +- sd      HD95 mm mean +- sd');
  e.classes.forEach((id, i) => {
    const d = e.dice.perClass[i]!, h = e.hd95.perClass[i]!;
    lines.push(`${String(id).padStart(5)}   ${fmt(d.mean)} +- ${fmt(d.sd)}      ${fmt(h.mean, 2)} +- ${fmt(h.sd, 2)}${h.skipped ? ` (${h.skipped} n/a)` : ''}`);
  });
  lines.push(`mean Dice over classes, then cases: ${fmt(e.dice.overall.mean)} +- ${fmt(e.dice.overall.sd)}`);
  lines.push(`mean HD95 (mm): ${fmt(e.hd95.overall.mean, 2)} +- ${fmt(e.hd95.overall.sd, 2)}`);
  return `${lines.join('\n')}\n`;
}

export const evaluateCommand: CliCommand = {
  name: 'evaluate',
  summary: 'Dice and HD95 per class of predicted label maps against references (files or folders)',
  usage,
  async run(argv) {
    const flags = parseFlags('evaluate', argv, { values: ['pred', 'ref', 'classes', 'spacing-grid'], switches: ['json', 'ignore-extra-labels'] }, usage);
    const { pred, ref } = flags.values;
    if (!pred || !ref) throw new UsageError(`evaluate: --pred and --ref are required\n${usage}`);
    const grid = choiceFlag('evaluate', flags, 'spacing-grid', ['native', '1x1x2'] as const) ?? 'native';
    let classes: number[];
    try {
      classes = flags.values.classes !== undefined ? parseClassList(flags.values.classes) : [...BTCV13_CLASSES];
    } catch (e) {
      if (e instanceof EvaluateError) throw new UsageError(`evaluate: ${e.message}`);
      throw e;
    }
    try {
      const result = await evaluatePaths(pred, ref, classes, grid, undefined, flags.switches.has('ignore-extra-labels') ? 'ignore' : 'refuse');
      // JSON has no NaN: HD95 of a class missing from one side becomes null.
      process.stdout.write(flags.switches.has('json') ? `${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n` : table(result));
      return 0;
    } catch (e) {
      if (e instanceof EvaluateError || e instanceof PreprocessError || e instanceof NiftiError) throw new CliError(`evaluate: ${e.message}`);
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`evaluate: ${(e as Error).message}`);
      throw e;
    }
  },
};
