/**
 * `anadiff evaluate --json` as a Markdown report (the editor's Evaluate Segmentation… shows it): one row per class with
 * Dice (%) and HD95 (mm), the mean, and per case when a folder pair was scored. Pure: it reads the JSON's shape only.
 */
import { BTCV13_ORGANS } from '../btcv.js';

interface PerClass { readonly classId: number; readonly mean: number | null; readonly sd: number | null; readonly n: number }
/** The part of `evaluate --json` this reads (node/segment/evaluate.ts Evaluation, NaN written as null). */
export interface EvaluationJson {
  readonly grid: string;
  readonly classes: readonly number[];
  readonly cases: readonly { readonly id: string; readonly meanDice: number | null }[];
  readonly dice: { readonly perClass: readonly PerClass[]; readonly overall: { readonly mean: number | null; readonly sd: number | null } };
  readonly hd95: { readonly perClass: readonly PerClass[] };
}

const pct = (x: number | null): string => (x === null || !Number.isFinite(x) ? 'n/a' : (100 * x).toFixed(1));
const mm = (x: number | null): string => (x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(1));
/** BTCV-13's organ name for a class id, else "class N". */
const nameOf = (id: number): string => BTCV13_ORGANS.find((o) => o.id === id)?.name ?? `class ${id}`;

export function evaluationMarkdown(e: EvaluationJson, pred: string, ref: string): string {
  const several = e.cases.length > 1;
  const out = [
    `# Evaluation: ${pred} against ${ref}`, '',
    `${e.cases.length} case(s), ${e.grid === 'native' ? 'on the files\' own grid' : `on the ${e.grid} mm grid`}. Dice: (2|P∩R| + 1e-5) / (|P| + |R| + 1e-5), a class absent from both scores 100; HD95: 95th-percentile Hausdorff distance (n/a when a class is missing from either map).`, '',
    `| class | Dice (%)${several ? ' mean +- sd' : ''} | HD95 (mm) |`, '|---|---|---|',
  ];
  for (const d of e.dice.perClass) {
    const h = e.hd95.perClass.find((x) => x.classId === d.classId);
    out.push(`| ${d.classId} ${nameOf(d.classId)} | ${pct(d.mean)}${several ? ` +- ${pct(d.sd)}` : ''} | ${mm(h?.mean ?? null)} |`);
  }
  out.push(`| **mean** | **${pct(e.dice.overall.mean)}**${several ? ` +- ${pct(e.dice.overall.sd)}` : ''} | |`, '');
  if (several) out.push('| case | mean Dice (%) |', '|---|---|', ...e.cases.map((c) => `| ${c.id} | ${pct(c.meanDice)} |`), '');
  return out.join('\n');
}
