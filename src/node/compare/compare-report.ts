/**
 * compare's report files, rebuilt from everything in the compare folder (this sitting's runs and earlier ones'):
 * report.json, report.md with the figures linked, plots/*.svg, and how far each run's loss fell.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARM_DEFINITIONS, isDiffusionArm, pretrainRunName, probeRunName, trainingsOf } from '../../core/compare/arms.js';
import type { CompareConfig } from '../../core/compare/config.js';
import { dicePerArmSvg, lossCurvesSvg, movingAverage, perOrganSvg } from '../../core/compare/plots.js';
import { buildCompareReport, compareMarkdown, type CaseScore, type CompareReport, type RunScores, type SweepPoint } from '../../core/compare/report.js';
import { parseMetricsLine } from '../../core/runs/metrics.js';
import { writeTextAtomic } from '../io/atomic-write.js';
import { RUN_FILES, writeJsonAtomic } from '../runs/run-folder.js';
import type { TrainReport } from '../train/train-run.js';

export const COMPARE_FILES = { config: 'compare.json', report: 'report.json', markdown: 'report.md', plots: 'plots', log: 'compare.log', testScores: 'test-scores.json' } as const;

/** How far one run's training loss fell: mean of its first and of its last third of steps. */
export interface LossFall {
  readonly run: string;
  readonly first: number;
  readonly last: number;
  readonly fell: boolean;
}

export type CompareReportFile = CompareReport & { readonly losses: readonly LossFall[]; readonly seconds: Readonly<Record<string, number>> };

export const readJson = <T>(path: string): T | undefined => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined);

function lossesOf(runDir: string): number[] {
  const path = join(runDir, RUN_FILES.metrics);
  if (!existsSync(path)) return [];
  const out: number[] = [];
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    const line = parseMetricsLine(text);
    if (line?.kind === 'step') out[line.step - 1] = line.loss;
  }
  return out.filter(Number.isFinite);
}

function lossFall(run: string, losses: readonly number[]): LossFall {
  const third = Math.max(1, Math.floor(losses.length / 3));
  const m = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  const first = m(losses.slice(0, third)), last = m(losses.slice(-third));
  return { run, first, last, fell: last < first };
}

/**
 * report.json, report.md and plots/ from every test-scores.json and metrics.jsonl in the folder (this sitting's and
 * earlier ones'), so the report always shows everything run so far.
 */
export function writeReport(config: CompareConfig, runDir: string, seconds: Record<string, number>): CompareReportFile {
  const scores: RunScores[] = [];
  let classNames: readonly string[] = [];
  const losses: LossFall[] = [];
  const pretrainCurves: { name: string; losses: number[] }[] = [];
  for (const seed of config.seeds) {
    for (const arm of config.arms) {
      if (ARM_DEFINITIONS[arm].pretrain) {
        const curve = lossesOf(join(runDir, 'pretrain', pretrainRunName(arm, seed)));
        if (curve.length > 0) {
          losses.push(lossFall(`pretrain/${pretrainRunName(arm, seed)}`, curve));
          if (seed === config.seeds[0]) pretrainCurves.push({ name: arm, losses: movingAverage(curve, Math.max(1, Math.round(curve.length / 20))) });
        }
      }
      for (const training of trainingsOf(arm, config.probe.modes)) {
        const dir = join(runDir, 'probe', probeRunName(arm, seed, training));
        const curve = lossesOf(dir);
        if (curve.length > 0) losses.push(lossFall(`probe/${probeRunName(arm, seed, training)}`, curve));
        const held = readJson<{ classNames: string[]; cases: CaseScore[] }>(join(dir, COMPARE_FILES.testScores));
        if (held) {
          classNames = held.classNames;
          scores.push({ arm, seed, training, cases: held.cases });
        }
      }
    }
  }
  const sweep: SweepPoint[] = [];
  const seed = config.seeds[0]!, mode = config.probe.modes[0]!;
  for (const arm of config.arms.filter(isDiffusionArm)) {
    const at = (t: number): number | undefined => readJson<TrainReport>(join(runDir, 'probe', `${probeRunName(arm, seed, mode)}${t === 0 ? '' : `-t${t}`}`, RUN_FILES.report))?.best?.meanDice;
    for (const t of config.probe.timesteps.length > 0 ? [0, ...config.probe.timesteps] : []) {
      const dice = at(t);
      if (dice !== undefined) sweep.push({ arm, seed, mode, t, validationDice: dice });
    }
  }
  const report = { ...buildCompareReport(config, classNames, scores, sweep), losses, seconds };
  writeJsonAtomic(join(runDir, COMPARE_FILES.report), report);
  const replace = { overwrite: true };
  const plots = join(runDir, COMPARE_FILES.plots);
  mkdirSync(plots, { recursive: true });
  for (const table of report.tables) {
    writeTextAtomic(join(plots, `dice-${table.mode}.svg`), dicePerArmSvg(table, `${config.name}: test Dice per arm, ${table.mode} probing (mean +- sd over seeds)`), replace);
    writeTextAtomic(join(plots, `organs-${table.mode}.svg`), perOrganSvg(table, classNames, `${config.name}: test Dice per organ, ${table.mode} probing`), replace);
  }
  writeTextAtomic(join(plots, 'pretrain-loss.svg'), lossCurvesSvg(pretrainCurves, `${config.name}: pretraining loss, seed ${config.seeds[0]} (moving average)`), replace);
  const timing = Object.entries(seconds).map(([k, s]) => `${k} ${Math.round(s)} s`).join(', ');
  const figures = [...report.tables.flatMap((t) => [`dice-${t.mode}.svg`, `organs-${t.mode}.svg`]), 'pretrain-loss.svg'].map((f) => `![${f}](${COMPARE_FILES.plots}/${f})`);
  writeTextAtomic(join(runDir, COMPARE_FILES.markdown), `${compareMarkdown(report)}\n${timing ? `Wall time this sitting: ${timing}.\n\n` : ''}${figures.join('\n')}\n`, replace);
  return report;
}
