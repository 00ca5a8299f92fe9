import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { COMPARE_ARMS, type CompareArm } from '../../core/compare/arms.js';
import { CompareConfigError, SMOKE_CONFIG, type CompareConfig } from '../../core/compare/config.js';
import { compareMarkdown } from '../../core/compare/report.js';
import { formatDuration } from '../../core/runs/summary.js';
import { COMPARE_FILES, loadCompareConfig, runCompare } from '../../node/compare/compare-run.js';
import { checkOutputFolder } from '../../node/io/output-path.js';
import { CliError, EXIT, UsageError, type CliCommand } from '../command.js';
import { deviceOption } from './coords.js';
import { parseIntList, positiveIntOption, stopOnSigint } from './train-flags.js';

const usage = `usage: anadiff compare (--config FILE.json | --smoke) [--run-dir DIR] [--arms A,B] [--seeds 0,1] [options]

The pretraining experiment of issue 11 as one command: for every seed and arm, pretrain the backbone, train the
segmentation head on the labelled training set (probing a frozen backbone: nonlinear and/or linear; scratch trains
everything), and score the test set that no arm trained on. Then the report: each arm's mean Dice +- sd over seeds,
per organ, and each guided arm's paired per-case difference to every other arm with a bootstrap 95% interval over
seeds and cases (a difference counts when the interval's lower bound is above 0).

arms: ${COMPARE_ARMS.join(', ')}
  guided-aux   diffusion + auxiliary coordinate head (the method)      diffusion    unguided diffusion
  guided-cond  diffusion conditioned on the coordinates                  genesis      Models Genesis
  contrastive  vox2vec                     random  random frozen backbone   scratch  whole network from scratch

  --config FILE.json   the experiment (format anadiff-compare-config; configs/compare-cpu.json sizes every arm's
                       pretraining to about 20 minutes on a 2-core CPU, configs/compare-paper.json is the paper's
                       for a GPU); relative paths in it start at the file's folder. It may list \`anadiff synth\` runs
                       that make its data first.
  --smoke              every arm, one seed, tiny backbone, a few steps on the built-in phantom (about a minute):
                       checks the chain end to end and that each run's loss falls (exit 1 if one does not)
  --run-dir DIR        the compare folder (default .anadiff/compare/<name>). Rerunning the same command continues:
                       finished pretraining, training and scoring are kept; Ctrl-C stops after a checkpoint.
  --arms A,B  --seeds 0,1   run only these this sitting (the report covers everything in the folder)
  --threads N  --device auto|cpu|cuda  --json (print report.json instead of the Markdown tables)
Writes DIR/report.json, report.md, plots/*.svg, compare.log, and the run folders under pretrain/ and probe/.`;

function armList(value: string): CompareArm[] {
  const arms = value.split(',').map((s) => s.trim());
  const bad = arms.filter((a) => !(COMPARE_ARMS as readonly string[]).includes(a));
  if (bad.length > 0) throw new UsageError(`--arms: unknown arm(s) ${bad.join(', ')} (arms: ${COMPARE_ARMS.join(', ')})`);
  return arms as CompareArm[];
}

export const compareCommand: CliCommand = {
  name: 'compare',
  summary: 'the pretraining comparison (guided diffusion vs diffusion, Genesis, vox2vec, random, scratch): seeds, probing, bootstrap CIs, report',
  usage,
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' }, smoke: { type: 'boolean' }, 'run-dir': { type: 'string' }, arms: { type: 'string' }, seeds: { type: 'string' },
        threads: { type: 'string' }, device: { type: 'string' }, json: { type: 'boolean' },
      },
    });
    if ((values.config !== undefined) === (values.smoke === true)) throw new UsageError(`give exactly one of --config FILE.json, --smoke\n\n${usage}`);
    const arms = values.arms !== undefined ? armList(values.arms) : undefined;
    const seeds = values.seeds !== undefined ? parseIntList('seeds', values.seeds) : undefined;
    const threads = positiveIntOption('threads', values.threads);
    const device = deviceOption(values.device);
    let config: CompareConfig, baseDir: string;
    try {
      ({ config, baseDir } = values.smoke ? { config: SMOKE_CONFIG, baseDir: process.cwd() } : loadCompareConfig(values.config!));
    } catch (e) {
      throw e instanceof CompareConfigError ? new CliError(e.message) : e;
    }
    const strays = [...(arms ?? []).filter((a) => !config.arms.includes(a)).map((a) => `arm ${a}`), ...(seeds ?? []).filter((s) => !config.seeds.includes(s)).map((s) => `seed ${s}`)];
    if (strays.length > 0) throw new UsageError(`${strays.join(', ')} not in the config (arms ${config.arms.join(', ')}; seeds ${config.seeds.join(', ')})`);
    const runDir = resolve(values['run-dir'] ?? join('.anadiff', 'compare', config.name));
    checkOutputFolder(runDir, values['run-dir'] !== undefined ? '--run-dir' : 'compare folder');
    console.error(`compare folder ${runDir}`);
    const stop = stopOnSigint();
    let lastLine = 0;
    const outcome = await runCompare(config, {
      runDir, baseDir, ...(threads ? { threads } : {}), provider: device, ...(arms || seeds ? { only: { ...(arms ? { arms } : {}), ...(seeds ? { seeds } : {}) } } : {}),
    }, {
      shouldStop: stop.requested, onMessage: (m) => console.error(m),
      onProgress: (p) => {
        // One line per ~10% of a run (a compare prints for hours; a log should stay readable).
        if (p.step !== p.steps && p.step - lastLine < Math.max(1, Math.round(p.steps / 10)) && p.step > lastLine) return;
        lastLine = p.step === p.steps ? 0 : p.step;
        console.error(`  ${p.stage}: step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} ETA ${formatDuration(p.etaSec)}`);
      },
    }).finally(() => stop.dispose());
    const { report } = outcome;
    console.log(values.json ? JSON.stringify(report, null, 2) : `${report.tables.length > 0 ? '' : 'no test scores yet\n'}${compareMarkdown(report)}`);
    console.error(`report: ${join(runDir, COMPARE_FILES.markdown)}`);
    if (outcome.status === 'stopped') return EXIT.interrupted;
    if (values.smoke) {
      const flat = report.losses.filter((l) => !l.fell);
      for (const l of report.losses) console.error(`  ${l.fell ? 'falls' : 'FLAT '} ${l.run}: mean loss of the first third ${l.first.toFixed(4)}, last third ${l.last.toFixed(4)}`);
      if (flat.length > 0) throw new CliError(`smoke: the loss did not fall in ${flat.map((l) => l.run).join(', ')}`);
    }
    return EXIT.ok;
  },
};
