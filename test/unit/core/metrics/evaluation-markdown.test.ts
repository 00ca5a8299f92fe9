import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluationMarkdown, type EvaluationJson } from '../../../../src/core/metrics/evaluation-markdown.js';

const perClass = (values: (number | null)[]) => values.map((mean, k) => ({ classId: [6, 14][k]!, mean, sd: mean === null ? null : 0.05, n: 2 }));

test('evaluation as Markdown: BTCV names, Dice in %, HD95 n/a where missing, the mean, and cases when several', () => {
  const e: EvaluationJson = {
    grid: 'native', classes: [6, 14],
    cases: [{ id: 'a.nii.gz', meanDice: 0.5 }, { id: 'b.nii.gz', meanDice: null }],
    dice: { perClass: perClass([0.912, 0]), overall: { mean: 0.456, sd: 0.01 } },
    hd95: { perClass: perClass([3.25, null]) },
  };
  const md = evaluationMarkdown(e, 'pred', 'ref');
  assert.match(md, /^# Evaluation: pred against ref/);
  assert.match(md, /\| 6 liver \| 91\.2 \+- 5\.0 \| 3\.3 \|/);
  assert.match(md, /\| 14 class 14 \| 0\.0 \+- 5\.0 \| n\/a \|/);
  assert.match(md, /\| \*\*mean\*\* \| \*\*45\.6\*\* \+- 1\.0 \| \|/);
  assert.match(md, /\| b\.nii\.gz \| n\/a \|/);
  const one = evaluationMarkdown({ ...e, cases: [e.cases[0]!], grid: '1x1x2' }, 'p', 'r');
  assert.doesNotMatch(one, /\+-|\| case \|/, 'one case: no sd, no case table');
  assert.match(one, /on the 1x1x2 mm grid/);
});
