/**
 * `anadiff segment --progress-json` as the editor runs it (a child process): one parseable progress line per window
 * on stderr, the --json result with the organ table (confidence included) and the input warnings (a thin slab), and
 * SIGTERM stopping it with nothing written (no output, no temporary file). The model is the hand-written threshold model of the segment tests (a known, fast answer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makePhantom } from '../../../../src/core/phantom/index.js';
import { gridSpacing } from '../../../../src/core/preprocess/index.js';
import { writeNiftiFile } from '../../../../src/node/nifti/index.js';
import { embedMetadata, parseModelMetadata } from '../../../../src/node/segment/model-metadata.js';
import { parseProgressLine, progressLine } from '../../../../src/protocol/cli-progress.js';
import { thresholdModel } from '../../node/segment/threshold-model.js';

const ROOT = resolve(__dirname, '../../../..');
const MAIN = join(ROOT, 'src/cli/main.ts');
const PATCH = [32, 32, 16] as const;
const WINDOW = [-1350, 1000] as const;
const phantom = makePhantom({ size: 'small' });

async function setUp(t: { after: (fn: () => void) => void }): Promise<{ dir: string; input: string; model: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-segment-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const input = join(dir, 'ct.nii.gz');
  await writeNiftiFile(input, phantom.image, { compressionLevel: 1 });
  const model = join(dir, 'threshold.onnx');
  const level = (57.5 - WINDOW[0]) / (WINDOW[1] - WINDOW[0]);
  writeFileSync(model, embedMetadata(thresholdModel(PATCH, [level]), parseModelMetadata({
    format: 'anadiff-segmentation-model', version: 1, patch: PATCH, spacingMm: gridSpacing(phantom.image.ijkToRas), huWindow: WINDOW,
    activation: 'sigmoid', classNames: ['dense'], labelValues: [3],
  }, 'test')));
  return { dir, input, model };
}

test('progress lines: round trip, and other stderr lines are not progress', () => {
  assert.deepEqual(parseProgressLine(progressLine('window', 3, 24)), { type: 'progress', unit: 'window', done: 3, total: 24 });
  for (const line of ['segment: 24 windows', '{not json', '{"type":"progress","unit":"window","done":5,"total":4}', '{"type":"log","done":1,"total":2}', 'null']) {
    assert.equal(parseProgressLine(line), undefined, line);
  }
});

test('segment --progress-json --json: a progress line per window, then the organ table on stdout', async (t) => {
  const { dir, input, model } = await setUp(t);
  const output = join(dir, 'ct_seg.nii.gz');
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'segment', '--input', input, '--output', output, '--model', model, '--device', 'cpu', '--threads', '1', '--all-components', '--json', '--progress-json'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const progress = r.stderr.split('\n').map(parseProgressLine).filter((p) => p !== undefined);
  const result = JSON.parse(r.stdout) as { windows: number; warnings: string[]; organs: { label: number; name: string; voxels: number; volumeMl: number; meanValue: number; confidence: number }[] };
  assert.ok(result.windows > 1);
  assert.deepEqual(progress.map((p) => p.done), Array.from({ length: result.windows }, (_, i) => i + 1));
  assert.ok(progress.every((p) => p.total === result.windows && p.unit === 'window'));
  const dense = phantom.image.data.filter((hu) => hu > 57.5);
  assert.deepEqual(result.organs.map((o) => [o.label, o.name, o.voxels]), [[3, 'dense', dense.length]]);
  assert.ok(Math.abs(result.organs[0]!.meanValue - dense.reduce((a, b) => a + b, 0) / dense.length) < 1e-6);
  assert.ok(result.organs[0]!.confidence >= 0.5 && result.organs[0]!.confidence <= 1, `confidence ${result.organs[0]!.confidence}`);
  assert.deepEqual(result.warnings, [], 'the whole phantom is like the training data');
  assert.doesNotMatch(r.stderr, /warning/);
});

test('segment on a thin slab: the thin-slab warning on stderr and in --json; text output lists organs with confidence', async (t) => {
  const { dir, model } = await setUp(t);
  const [nx, ny] = phantom.image.dims;
  const slab = join(dir, 'slab.nii.gz');
  await writeNiftiFile(slab, { dims: [nx, ny, 6], ijkToRas: phantom.image.ijkToRas, data: phantom.image.data.slice(30 * nx * ny, 36 * nx * ny) }, { compressionLevel: 1 });
  const run = (output: string, json: boolean): SpawnSyncReturns<string> => spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'segment', '--input', slab, '--output', join(dir, output), '--model', model, '--device', 'cpu', '--threads', '1', ...(json ? ['--json'] : [])], { cwd: ROOT, encoding: 'utf8' });
  const r = run('slab_seg.nii.gz', true);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { warnings: string[]; organs: { confidence: number }[] };
  assert.equal(result.warnings.length, 1, result.warnings.join('\n'));
  assert.match(result.warnings[0]!, /^thin slab: only 6 voxels .* along head-foot \(S\).*reliability drops on thin slabs/);
  assert.ok(r.stderr.split('\n').includes(`segment: warning: ${result.warnings[0]}`), r.stderr);
  assert.ok(result.organs.length > 0 && result.organs.every((o) => o.confidence >= 0 && o.confidence <= 1), JSON.stringify(result.organs));
  const text = run('slab_seg2.nii.gz', false);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^ {2}3 dense: [\d.]+ mL, mean -?\d+ HU, confidence (0|1)\.\d\d$/m);
  assert.match(text.stdout, /1 warning on stderr/);
  assert.match(text.stderr, /^segment: warning: thin slab/m);
});

test('segment: SIGTERM after the first window stops it, exit 130, nothing written', async (t) => {
  const { dir, input, model } = await setUp(t);
  const output = join(dir, 'ct_seg.nii.gz');
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'segment', '--input', input, '--output', output, '--model', model, '--device', 'cpu', '--threads', '1', '--overlap', '0.75', '--progress-json'], { cwd: ROOT });
  let stderr = '';
  let signalled = false;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!signalled && stderr.split('\n').some((l) => parseProgressLine(l))) {
      signalled = true;
      child.kill('SIGTERM');
    }
  });
  const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
  assert.ok(signalled, `no progress line came: ${stderr}`);
  assert.equal(code, 130, stderr);
  assert.match(stderr, /stopped; .*ct_seg.nii.gz was not written/);
  assert.deepEqual(readdirSync(dir).sort(), ['ct.nii.gz', 'threshold.onnx'], 'no output and no temporary file');
});
