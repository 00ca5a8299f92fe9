/**
 * vox2vec's BTCV protocol: for each fold of data/btcv-folds.json (KFold(5, shuffle, seed 42); 23 train, 1 validation,
 * 6 test), train a run (checkpoint chosen by validation Dice), segment the fold's test cases with the best checkpoint
 * by sliding window, and score Dice per class on the 1x1x2 mm grid (mean over 13 classes, then over test cases).
 * Reports mean +- sd over folds (population sd, as np.std).
 */
import type { CaseSource } from './jobs/job-spec.js';
import { join } from 'node:path';
import btcvFolds from '../../../data/btcv-folds.json';
import { meanSd, type MeanSd } from '../../core/metrics/index.js';
import { loadLatestCheckpoint } from '../engine/checkpoint-store.js';
import type { PreparedCase } from './jobs/segmentation-cases.js';
import { btcvCases } from '../datasets/dataset-cases.js';
import { diceOfCases, inferenceModelOf, openSegmenter } from './inference.js';
import { jobOf, type TrainMode } from './run-config.js';
import { RUN_FILES, writeJsonAtomic } from '../runs/run-folder.js';
import { withRunLock } from '../runs/run-lock.js';
import { resolveTrainConfig, type TrainRequest } from './resolve-train.js';
import { prepareCached, trainRun, type TrainHooks } from './train-run.js';


export interface BtcvFold {
  readonly fold: number;
  readonly train: readonly string[];
  readonly val: readonly string[];
  readonly test: readonly string[];
}

/** The committed folds (scripts/make-btcv-folds.py, scikit-learn); bundled into the CLI. */
export const BTCV_FOLDS: readonly BtcvFold[] = btcvFolds.folds;

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export interface ProtocolRequest {
  readonly data: string;
  readonly mode: TrainMode;
  readonly runDir: string;
  readonly folds?: readonly number[];
  /** Everything else a training run takes (epochs, steps, preset, patch, backbone...). */
  readonly train?: Omit<TrainRequest, 'train' | 'val' | 'mode' | 'name'>;
}

export interface FoldResult {
  readonly fold: number;
  readonly train: readonly string[];
  readonly val: readonly string[];
  readonly test: readonly string[];
  readonly runDir: string;
  readonly bestStep: number | undefined;
  /** Mean over classes then test cases. */
  readonly meanDice: number;
  /** Class name -> mean over test cases. */
  readonly dice: Readonly<Record<string, number>>;
  readonly cases: readonly { readonly id: string; readonly dice: readonly number[] }[];
}

export interface ProtocolReport {
  readonly format: 'anadiff-protocol-report';
  readonly protocol: 'btcv';
  readonly mode: TrainMode;
  readonly data: string;
  readonly folds: readonly FoldResult[];
  /** Over folds. */
  readonly meanDice: MeanSd;
  readonly perClass: Readonly<Record<string, MeanSd>>;
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

export async function runBtcvProtocol(req: ProtocolRequest, hooks: Omit<TrainHooks, 'preparedCache'> = {}): Promise<ProtocolReport> {
  const chosen = (req.folds ?? BTCV_FOLDS.map((f) => f.fold)).map((n) => {
    const f = BTCV_FOLDS.find((x) => x.fold === n);
    if (!f) throw new ProtocolError(`no fold ${n} in data/btcv-folds.json (folds ${BTCV_FOLDS.map((x) => x.fold).join(', ')})`);
    return f;
  });
  const { byId } = await btcvCases(req.data);
  const cache = new Map<string, PreparedCase>();
  // The protocol folder's lock is held across every fold (each fold folder also takes its own, as any run does).
  return withRunLock(req.runDir, 'protocol', () => runFolds(req, chosen, hooks, cache, byId));
}

async function runFolds(req: ProtocolRequest, chosen: readonly BtcvFold[], hooks: Omit<TrainHooks, 'preparedCache'>, cache: Map<string, PreparedCase>, byId: ReadonlyMap<string, CaseSource>): Promise<ProtocolReport> {
  const present = (id: string): boolean => byId.has(id);
  const caseOf = (id: string): CaseSource => byId.get(id)!;
  const results: FoldResult[] = [];
  for (const fold of chosen) {
    const missing = [...fold.val, ...fold.test].filter((id) => !present(id));
    if (missing.length > 0) throw new ProtocolError(`fold ${fold.fold}: validation/test case(s) ${missing.join(', ')} missing under ${req.data} (img/imgXXXX.nii.gz + label/labelXXXX.nii.gz)`);
    const train = fold.train.filter(present);
    if (train.length === 0) throw new ProtocolError(`fold ${fold.fold}: none of its training cases is under ${req.data}`);
    if (train.length < fold.train.length) hooks.onMessage?.(`fold ${fold.fold}: ${fold.train.length - train.length} of ${fold.train.length} training cases missing, training on ${train.length}`);
    const config = await resolveTrainConfig({
      ...req.train, mode: req.mode, name: `fold-${fold.fold}`,
      train: train.map(caseOf), val: fold.val.map(caseOf),
    }, cache);
    const foldDir = join(req.runDir, `fold-${fold.fold}`);
    hooks.onMessage?.(`fold ${fold.fold}: training on ${train.length} case(s), validating on ${fold.val.join(', ')}, testing on ${fold.test.join(', ')}`);
    const report = await trainRun(config, foldDir, { ...hooks, preparedCache: cache, lockKind: 'protocol' });
    if (report.status === 'stopped') throw new ProtocolError(`fold ${fold.fold} stopped before finishing; rerun the same command to resume it`);
    const best = loadLatestCheckpoint(join(foldDir, RUN_FILES.best)) ?? loadLatestCheckpoint(join(foldDir, RUN_FILES.checkpoints));
    if (!best) throw new ProtocolError(`fold ${fold.fold}: no checkpoint in ${foldDir}`);
    const testCases: PreparedCase[] = [];
    for (const id of fold.test) testCases.push(await prepareCached(caseOf(id), config.labels, config.spacingMm, cache));
    const segmenter = await openSegmenter(inferenceModelOf(jobOf(config, false), config.labels.length, config.validation.batch, best.tensors), { overlap: config.validation.overlap });
    const cases = await diceOfCases(segmenter, testCases).finally(() => segmenter.release());
    const dice = Object.fromEntries(config.classNames.map((name, c) => [name, mean(cases.map((x) => x.dice[c]!))]));
    const result: FoldResult = {
      fold: fold.fold, train, val: fold.val, test: fold.test, runDir: foldDir, bestStep: report.best?.step,
      meanDice: mean(cases.map((x) => mean(x.dice))), dice, cases,
    };
    hooks.onMessage?.(`fold ${fold.fold}: test Dice ${result.meanDice.toFixed(4)}`);
    results.push(result);
  }
  const classNames = Object.keys(results[0]?.dice ?? {});
  const report: ProtocolReport = {
    format: 'anadiff-protocol-report', protocol: 'btcv', mode: req.mode, data: req.data, folds: results,
    meanDice: meanSd(results.map((r) => r.meanDice)),
    perClass: Object.fromEntries(classNames.map((name) => [name, meanSd(results.map((r) => r.dice[name]!))])),
  };
  writeJsonAtomic(join(req.runDir, RUN_FILES.report), report);
  return report;
}

/** The report as a text table: one row per class and the mean, mean +- sd over folds, Dice in percent. */
export function protocolTable(report: ProtocolReport): string {
  const pct = (m: MeanSd): string => `${(100 * m.mean).toFixed(1)} +- ${(100 * m.sd).toFixed(1)}`;
  const rows = Object.entries(report.perClass).map(([name, m]) => [name, pct(m)] as const);
  rows.push(['mean', pct(report.meanDice)]);
  const width = Math.max(...rows.map((r) => r[0].length));
  return [`BTCV ${report.mode}, folds ${report.folds.map((f) => f.fold).join(',')} (Dice %, mean +- sd over folds)`,
    ...rows.map(([n, v]) => `  ${n.padEnd(width)}  ${v}`)].join('\n');
}
