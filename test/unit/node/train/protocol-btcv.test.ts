import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makePhantom } from '../../../../src/core/phantom/index.js';
import { writeNiftiFile } from '../../../../src/node/nifti/write-file.js';
import { protocolTable, ProtocolError, runBtcvProtocol } from '../../../../src/node/train/protocol-btcv.js';
import { acquireRunLock, RunLockedError, RUN_LOCK_FILE } from '../../../../src/node/runs/run-lock.js';

const REPO_ROOT = resolve(__dirname, '../../../..');
interface Fold { fold: number; train: string[]; val: string[]; test: string[] }
const committed = (JSON.parse(readFileSync(join(REPO_ROOT, 'data/btcv-folds.json'), 'utf8')) as { folds: Fold[] }).folds;

/** A BTCV-layout folder: the val/test cases of folds 0 and 1 plus two training cases, phantoms of three seeds. */
async function makeBtcvFolder(dir: string): Promise<string[]> {
  mkdirSync(join(dir, 'img'), { recursive: true });
  mkdirSync(join(dir, 'label'), { recursive: true });
  const ids = [...new Set([...committed[0]!.val, ...committed[0]!.test, ...committed[1]!.val, ...committed[1]!.test, '0002', '0003'])].sort();
  for (const [n, id] of ids.entries()) {
    const img = join(dir, 'img', `img${id}.nii.gz`), seg = join(dir, 'label', `label${id}.nii.gz`);
    if (n < 3) {
      const p = makePhantom({ seed: n + 1 });
      await writeNiftiFile(img, p.image);
      await writeNiftiFile(seg, p.labels);
    } else {
      copyFileSync(join(dir, 'img', `img${ids[n % 3]}.nii.gz`), img);
      copyFileSync(join(dir, 'label', `label${ids[n % 3]}.nii.gz`), seg);
    }
  }
  return ids;
}

test('the BTCV protocol trains and tests each chosen fold on the committed fold lists and reports mean +- sd', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-btcv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  await makeBtcvFolder(data);
  const runDir = join(dir, 'run');
  const train = { preset: 'tiny' as const, epochs: 1, stepsPerEpoch: 2, batch: 1, patch: [24, 24, 12] as const, spacingMm: [10, 10, 12] as const, warmupSteps: 1 };
  const report = await runBtcvProtocol({ data, mode: 'scratch', runDir, folds: [0, 1], train });
  assert.deepEqual(report.folds.map((f) => f.fold), [0, 1]);
  for (const f of report.folds) {
    const c = committed[f.fold]!;
    assert.deepEqual(f.test, c.test, 'test cases are the committed fold\'s');
    assert.deepEqual(f.val, c.val);
    assert.deepEqual(f.train, c.train.filter((id) => existsSync(join(data, 'img', `img${id}.nii.gz`))), 'trains on the committed train ids present');
    assert.ok(f.train.every((id) => !c.test.includes(id) && !c.val.includes(id)));
    assert.deepEqual(f.cases.map((x) => x.id), c.test, 'scored exactly the test cases');
    assert.ok(f.meanDice >= 0 && f.meanDice <= 1);
    assert.ok(existsSync(join(f.runDir, 'model.onnx')));
  }
  const means = report.folds.map((f) => f.meanDice);
  const mean = (means[0]! + means[1]!) / 2;
  assert.ok(Math.abs(report.meanDice.mean - mean) < 1e-12);
  assert.ok(Math.abs(report.meanDice.sd - Math.abs(means[0]! - means[1]!) / 2) < 1e-12, 'population sd over folds');
  assert.equal(Object.keys(report.perClass).length, 13);
  assert.match(protocolTable(report), /mean\s+\d+\.\d \+- \d+\.\d/);
  const saved = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as { meanDice: { mean: number } };
  assert.equal(saved.meanDice.mean, report.meanDice.mean);

  assert.ok([runDir, ...report.folds.map((f) => f.runDir)].every((d) => !existsSync(join(d, RUN_LOCK_FILE))), 'every lock released');
  // A second protocol on the same folder while one holds it: refused naming the holder, nothing rewritten.
  const held = acquireRunLock(runDir, 'protocol');
  const reportBefore = readFileSync(join(runDir, 'report.json'), 'utf8');
  await assert.rejects(runBtcvProtocol({ data, mode: 'scratch', runDir, folds: [0], train }), (e: unknown) => e instanceof RunLockedError && /in use by protocol/.test(e.message));
  held.release();
  assert.equal(readFileSync(join(runDir, 'report.json'), 'utf8'), reportBefore);

  // Fold 2's test cases are not in the folder: a clear error naming them, not a silent smaller test set.
  await assert.rejects(runBtcvProtocol({ data, mode: 'scratch', runDir: join(dir, 'run2'), folds: [2], train }), (e: unknown) => e instanceof ProtocolError && /missing/.test(e.message));
});
