/**
 * The shipped default model on scans it never trained on, the reduced `npm run eval:default` suite (issue 12): the
 * real subject-A CT and two thin slabs of it (14 slices, the case, and the top 10). The thresholds fail the
 * model shipped before slab training (full 0.64, slab14 0.03, slab10 0.00) and pass today's (0.65, 0.35, 0.19), with
 * room for thread-count noise; the goal (every slab >= 0.9x the full scan) is not met yet and not asserted.
 * Skipped when ../shared/data is absent. About 70 s on the 2-core box.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { runDefaultModelSuite } from '../../../../src/node/segment/default-eval.js';

const ROOT = resolve(__dirname, '../../../..');
const DATA = resolve(ROOT, '../shared/data');
const CT = join(DATA, 'totalsegmentator', 'example_ct.nii.gz');

test('the default model holds on the real subject-A CT and on 14- and 10-slice slabs of it', { skip: existsSync(CT) ? false : `${CT} absent` }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'anadiff-eval-default-'));
  try {
    const report = await runDefaultModelSuite({ sharedData: DATA, workDir: work, model: join(ROOT, 'models', 'default', 'model.onnx'), reduced: true });
    const byId = new Map(report.cases.map((c) => [c.id, c]));
    const full = byId.get('subjectA_full')!;
    const slab14 = byId.get('subjectA_slab14_k83')!;
    const slab10 = byId.get('subjectA_slab10_k100')!;
    const seen = report.cases.map((c) => `${c.id} ${c.meanDice.toFixed(3)}`).join(', ');
    assert.ok(full.meanDice >= 0.6, `full scan: mean Dice over the organs in view >= 0.6 (${seen})`);
    assert.ok(slab14.meanDice >= 0.25, `14-slice slab >= 0.25 (the previous model: 0.03) (${seen})`);
    assert.ok(slab10.meanDice >= 0.12, `10-slice slab >= 0.12 (the previous model: 0.00) (${seen})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
