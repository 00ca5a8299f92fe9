import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveBackbone } from '../../node/train/backbone.js';
import { protocolTable, runBtcvProtocol } from '../../node/train/protocol-btcv.js';
import { TRAIN_MODES, type TrainMode } from '../../node/train/run-config.js';
import { defaultRunsRoot, runFolderName } from '../../node/runs/run-folder.js';
import { TRAIN_DEFAULTS } from '../../node/train/resolve-train.js';
import { UsageError, type CliCommand } from '../command.js';
import { checkOutputFolder } from '../../node/io/output-path.js';
import { checkTrainFlags, numberOption, parseIntList, parseTriple, positiveIntOption, printProgress, stopOnSigint } from './train-flags.js';

const usage = `usage: anadiff protocol btcv --data DIR --mode ${TRAIN_MODES.join('|')} [--backbone RUN|CKPT]
                             [--folds 0,1] [--epochs E --steps-per-epoch S] [options]

vox2vec's BTCV evaluation: for each fold of data/btcv-folds.json (KFold(5, shuffle=True, random_state=42) over the
30 case ids; 23 train, 1 validation, 6 test) train a head (linear: frozen backbone + linear head; nonlinear: frozen
backbone + FPN head; finetune: unfrozen at --unfreeze-epoch; scratch: everything from random), keep the checkpoint
with the best validation Dice, segment the 6 test cases by sliding window (overlap 0.5, sigmoid x body mask,
threshold 0.5) and score Dice on the 1x1x2 mm grid. Prints mean +- sd over folds per organ; writes
RUN_DIR/report.json and one run folder per fold (RUN_DIR/fold-N/). Rerunning with the same --run-dir resumes.

  --data DIR           BTCV layout: DIR/img/img0001.nii.gz, DIR/label/label0001.nii.gz
  --folds 0,1          folds to run (default all five)
  --epochs E (${TRAIN_DEFAULTS.epochs})  --steps-per-epoch S (${TRAIN_DEFAULTS.stepsPerEpoch})   the paper: 150 x 300, --batch 7
  --preset tiny|small|paper  --channels N  --patch 128x128x32  --batch N  --lr F  --spacing 1x1x2  --seed N
  --unfreeze-epoch N  --threads N  --run-dir DIR (default .anadiff/runs/<time>-btcv-<mode>)  --json`;

export const protocolCommand: CliCommand = {
  name: 'protocol',
  summary: 'run the BTCV 5-fold evaluation protocol (linear/nonlinear probing, finetuning, scratch)',
  usage,
  async run(argv) {
    const [which, ...rest] = argv;
    if (which !== 'btcv') throw new UsageError(`unknown protocol ${which === undefined ? '(none)' : `"${which}"`}: only btcv\n\n${usage}`);
    const { values } = parseArgs({
      args: rest,
      options: {
        data: { type: 'string' }, mode: { type: 'string' }, backbone: { type: 'string' }, folds: { type: 'string' },
        epochs: { type: 'string' }, 'steps-per-epoch': { type: 'string' }, preset: { type: 'string' }, channels: { type: 'string' },
        patch: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' }, spacing: { type: 'string' }, seed: { type: 'string' },
        'unfreeze-epoch': { type: 'string' }, threads: { type: 'string' }, 'run-dir': { type: 'string' }, json: { type: 'boolean' },
      },
    });
    if (!values.data) throw new UsageError(`--data DIR is required\n\n${usage}`);
    const mode = values.mode as TrainMode | undefined;
    if (!mode || !TRAIN_MODES.includes(mode)) throw new UsageError(`--mode must be one of ${TRAIN_MODES.join(', ')}`);
    const preset = values.preset;
    if (preset !== undefined && preset !== 'tiny' && preset !== 'small' && preset !== 'paper') throw new UsageError(`--preset must be tiny, small or paper, got ${preset}`);
    const runDir = resolve(values['run-dir'] ?? join(defaultRunsRoot(), runFolderName(`btcv-${mode}`)));
    const train = defined({
      backbone: values.backbone !== undefined ? resolveBackbone(values.backbone) : undefined,
      epochs: positiveIntOption('epochs', values.epochs), stepsPerEpoch: positiveIntOption('steps-per-epoch', values['steps-per-epoch']),
      preset: preset as 'tiny' | 'small' | 'paper' | undefined, channels: positiveIntOption('channels', values.channels), batch: positiveIntOption('batch', values.batch),
      patch: values.patch !== undefined ? parseTriple('patch', values.patch, true) : undefined,
      spacingMm: values.spacing !== undefined ? parseTriple('spacing', values.spacing, false) : undefined,
      lr: numberOption('lr', values.lr), seed: numberOption('seed', values.seed),
      unfreezeEpoch: positiveIntOption('unfreeze-epoch', values['unfreeze-epoch']), threads: positiveIntOption('threads', values.threads),
    });
    checkTrainFlags(train);
    checkOutputFolder(runDir, values['run-dir'] !== undefined ? '--run-dir' : 'protocol folder');
    const stop = stopOnSigint();
    console.error(`protocol folder ${runDir}`);
    const report = await runBtcvProtocol({
      data: resolve(values.data), mode, runDir, train,
      ...(values.folds !== undefined ? { folds: parseIntList('folds', values.folds) } : {}),
    }, { shouldStop: stop.requested, onProgress: printProgress, onMessage: (m) => console.error(m) }).finally(() => stop.dispose());
    console.log(values.json ? JSON.stringify(report, null, 2) : protocolTable(report));
    return 0;
  },
};

/** The object without its undefined fields (exactOptionalPropertyTypes: absent, not undefined). */
function defined<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
