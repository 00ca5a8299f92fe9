/**
 * `anadiff compare`'s report from the scores of its runs: per probing mode, each arm's mean Dice +- sd over seeds and
 * per organ, and each guided arm's paired difference to every other arm with a bootstrap 95% interval and a plain
 * verdict. Pure: the runner (node/compare) gathers the scores, this shapes them into report.json and report.md.
 */
import { ARM_DEFINITIONS, GUIDED_ARMS, type CompareArm, type ProbeMode } from './arms.js';
import type { CompareConfig } from './config.js';
import { bootstrapMeanInterval, pairedDifferences, summarizeArm, verdictOf, type ArmScores, type ArmSummary, type BootstrapInterval } from './stats.js';

/** One test case's scores from one trained segmenter. */
export interface CaseScore {
  readonly id: string;
  /** Dice per class, in the config's class order (absent from both maps: 1, as the protocol scores it). */
  readonly dice: readonly number[];
  /** Indices (0-based) of the classes in view in the reference (at least 1 mL): what the case's mean counts. */
  readonly inView: readonly number[];
  /** Mean Dice over the classes in view. */
  readonly meanDice: number;
}

/** The test scores of one (arm, seed, training) segmenter. */
export interface RunScores {
  readonly arm: CompareArm;
  readonly seed: number;
  readonly training: ProbeMode | 'scratch';
  readonly cases: readonly CaseScore[];
}

export interface ArmRow extends ArmSummary {
  readonly arm: CompareArm;
  readonly training: ProbeMode | 'scratch';
  /** Class name -> mean Dice over (seed, case) pairs where the class is in view. */
  readonly perOrgan: Readonly<Record<string, number>>;
}

export interface Difference {
  readonly guided: CompareArm;
  readonly baseline: CompareArm;
  readonly interval: BootstrapInterval;
  readonly verdict: 'better' | 'worse' | 'not shown';
}

export interface ModeTable {
  readonly mode: ProbeMode;
  readonly arms: readonly ArmRow[];
  readonly differences: readonly Difference[];
}

/** One point of the probing timestep sweep: a diffusion arm's best validation Dice with FiLM folded at t. */
export interface SweepPoint {
  readonly arm: CompareArm;
  readonly seed: number;
  readonly mode: ProbeMode;
  readonly t: number;
  readonly validationDice: number;
}

export interface CompareReport {
  readonly format: 'anadiff-compare-report';
  readonly name: string;
  readonly classNames: readonly string[];
  readonly testCases: readonly string[];
  readonly tables: readonly ModeTable[];
  /** Arms x seeds that have no test scores yet (a compare built over several sittings). */
  readonly missing: readonly string[];
  /** The probing timestep sweep, validation Dice only (empty without one). */
  readonly timestepSweep: readonly SweepPoint[];
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? NaN : xs.reduce((s, x) => s + x, 0) / xs.length);

/** The scores a mode's table uses for `arm`: its probe in that mode, or its scratch training. */
function runsFor(all: readonly RunScores[], arm: CompareArm, mode: ProbeMode): RunScores[] {
  const training = ARM_DEFINITIONS[arm].training === 'scratch' ? 'scratch' : mode;
  return all.filter((r) => r.arm === arm && r.training === training);
}

/** seed -> case -> mean Dice; a case with no organ in view (NaN) has nothing to compare and is left out. */
const scoresOf = (runs: readonly RunScores[]): ArmScores =>
  new Map(runs.map((r) => [r.seed, new Map(r.cases.filter((c) => Number.isFinite(c.meanDice)).map((c) => [c.id, c.meanDice]))]));

function perOrgan(runs: readonly RunScores[], classNames: readonly string[]): Record<string, number> {
  return Object.fromEntries(classNames.map((name, k) => [name, mean(runs.flatMap((r) => r.cases.filter((c) => c.inView.includes(k)).map((c) => c.dice[k]!)))]));
}

export function buildCompareReport(config: CompareConfig, classNames: readonly string[], all: readonly RunScores[], timestepSweep: readonly SweepPoint[] = []): CompareReport {
  const tables = config.probe.modes.map((mode): ModeTable => {
    const present = config.arms.filter((arm) => runsFor(all, arm, mode).length > 0);
    const arms = present.map((arm): ArmRow => {
      const runs = runsFor(all, arm, mode);
      return { arm, training: runs[0]!.training, ...summarizeArm(scoresOf(runs)), perOrgan: perOrgan(runs, classNames) };
    });
    const differences = present.filter((a) => GUIDED_ARMS.includes(a)).flatMap((guided) => present.filter((b) => b !== guided).map((baseline): Difference => {
      const { diff } = pairedDifferences(scoresOf(runsFor(all, guided, mode)), scoresOf(runsFor(all, baseline, mode)));
      const interval = bootstrapMeanInterval(diff, config.bootstrap);
      return { guided, baseline, interval, verdict: verdictOf(interval) };
    }));
    return { mode, arms, differences };
  });
  const missing = config.seeds.flatMap((seed) => config.arms.filter((arm) => !all.some((r) => r.arm === arm && r.seed === seed)).map((arm) => `${arm} seed ${seed}`));
  const testCases = [...new Set(all.flatMap((r) => r.cases.map((c) => c.id)))].sort();
  return { format: 'anadiff-compare-report', name: config.name, classNames, testCases, tables, missing, timestepSweep };
}

const pct = (x: number): string => (Number.isFinite(x) ? (100 * x).toFixed(1) : '-');
const signedPct = (x: number): string => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}` : '-');

/** The report as Markdown: one table per mode (arms), the paired differences, and per-organ Dice. */
export function compareMarkdown(report: CompareReport): string {
  const out: string[] = [];
  for (const table of report.tables) {
    out.push(`### ${table.mode} probing: test Dice (%), ${report.testCases.length} test cases`, '');
    out.push('| arm | trained as | seeds | mean +- sd over seeds | mean +- sd over (seed, case) |', '|---|---|---|---|---|');
    for (const row of table.arms) {
      out.push(`| ${row.arm} | ${row.training === 'scratch' ? 'scratch (all weights)' : `frozen backbone, ${row.training} head`} | ${row.seeds.join(', ')} | ${pct(row.overSeeds.mean)} +- ${pct(row.overSeeds.sd)} | ${pct(row.overCases.mean)} +- ${pct(row.overCases.sd)} |`);
    }
    if (table.differences.length > 0) {
      out.push('', `Paired differences (same seed, same case), bootstrap ${Math.round(100 * (table.differences[0]!.interval.level))}% interval over seeds and cases:`, '');
      out.push('| guided arm | minus | mean difference | interval | pairs | verdict |', '|---|---|---|---|---|---|');
      for (const d of table.differences) {
        const i = d.interval;
        const verdict = d.verdict === 'better' ? `**${d.guided} better** (lower bound > 0)` : d.verdict === 'worse' ? `**${d.guided} worse** (upper bound < 0)` : 'no difference shown (interval holds 0)';
        out.push(`| ${d.guided} | ${d.baseline} | ${signedPct(i.mean)} | [${signedPct(i.lo)}, ${signedPct(i.hi)}] | ${i.seeds} seed(s) x ${i.cases} case(s) | ${verdict} |`);
      }
    }
    out.push('', `Per organ (mean Dice % over seeds and the cases where the organ is in view):`, '');
    out.push(`| arm | ${report.classNames.join(' | ')} |`, `|---|${report.classNames.map(() => '---').join('|')}|`);
    for (const row of table.arms) out.push(`| ${row.arm} | ${report.classNames.map((n) => pct(row.perOrgan[n] ?? NaN)).join(' | ')} |`);
    out.push('');
  }
  if (report.timestepSweep.length > 0) out.push(...sweepMarkdown(report.timestepSweep));
  if (report.missing.length > 0) out.push(`Not yet run: ${report.missing.join(', ')} (rerun the same command to add them).`, '');
  return out.join('\n');
}

/** The sweep as a table: one row per arm, one column per t, best validation Dice (%) of the probe at that t. */
function sweepMarkdown(points: readonly SweepPoint[]): string[] {
  const ts = [...new Set(points.map((p) => p.t))].sort((a, b) => a - b);
  const arms = [...new Set(points.map((p) => p.arm))];
  const first = points[0]!;
  return [
    `### Probing timestep (seed ${first.seed}, ${first.mode} probing): best validation Dice (%), FiLM folded at t on the clean image`, '',
    'Validation Dice as training computes it: the mean over all classes, a class absent from both maps scoring 100.', '',
    `| arm | ${ts.map((t) => `t = ${t}`).join(' | ')} |`, `|---|${ts.map(() => '---').join('|')}|`,
    ...arms.map((arm) => `| ${arm} | ${ts.map((t) => pct(points.find((p) => p.arm === arm && p.t === t)?.validationDice ?? NaN)).join(' | ')} |`),
    '',
  ];
}
