/**
 * Fault injection for the command line's arguments and inputs (issue 8, items 2, 4, 5, 7): each test is one fault a
 * person can make, and asserts what happens now (refused early, with the user's path and the reason, the right exit
 * code, and nothing destroyed). Commands run in-process through their `run`; the exit-code rule and the paths that
 * used to hang run through the real entry point. README, "Reliability", lists these rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { onnx } from 'onnx-proto';
import { join, resolve } from 'node:path';
import type { CliCommand } from '../../../src/cli/command.js';
import { evaluateCommand } from '../../../src/cli/commands/evaluate.js';
import { benchNiftiCommand } from '../../../src/cli/commands/bench-nifti.js';
import { infoCommand } from '../../../src/cli/commands/info.js';
import { protocolCommand } from '../../../src/cli/commands/protocol.js';
import { sampleCommand } from '../../../src/cli/commands/sample.js';
import { segmentCommand } from '../../../src/cli/commands/segment.js';
import { synthCommand } from '../../../src/cli/commands/synth.js';
import { trainCommand } from '../../../src/cli/commands/train.js';
import { makePhantom } from '../../../src/core/phantom/index.js';
import { gridSpacing } from '../../../src/core/preprocess/index.js';
import { writeNiftiFile } from '../../../src/node/nifti/index.js';
import { embedMetadata, parseModelMetadata } from '../../../src/node/segment/model-metadata.js';
import { thresholdModel } from '../node/segment/threshold-model.js';

const ROOT = resolve(__dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'anadiff-validation-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** The command's outcome as main reports it: the exit code and the one line it prints. */
async function outcome(command: CliCommand, argv: string[]): Promise<{ code: number; message: string }> {
  try {
    return { code: await command.run(argv), message: '' };
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    return { code: typeof code === 'number' ? code : 1, message: (e as Error).message.split('\n')[0]! };
  }
}

function anadiff(args: string[], timeout = 60_000) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout });
}

const phantom = makePhantom({ size: 'small' });
const PATCH = [64, 64, 32] as const;
const WINDOW = [-1350, 1000] as const;
const level = (57.5 - WINDOW[0]) / (WINDOW[1] - WINDOW[0]);

const modelPath = join(dir, 'model.onnx');
writeFileSync(modelPath, embedMetadata(thresholdModel(PATCH, [level]), parseModelMetadata({
  format: 'anadiff-segmentation-model', version: 1, patch: PATCH, spacingMm: gridSpacing(phantom.image.ijkToRas), huWindow: WINDOW,
  activation: 'sigmoid', classNames: ['bone'],
}, 'test')));

const ctPath = join(dir, 'ct.nii');
const ready = writeNiftiFile(ctPath, phantom.image);

async function volume(name: string, data: Int16Array | Float32Array | Uint8Array, dims: readonly [number, number, number] = phantom.image.dims): Promise<string> {
  const path = join(dir, name);
  await writeNiftiFile(path, { dims, ijkToRas: phantom.image.ijkToRas, data });
  return path;
}

const segment = (input: string, output: string, ...more: string[]) => outcome(segmentCommand, ['--model', modelPath, '--input', input, '--output', output, ...more]);

test('segment --output naming its own input (same path, hard link, symlink) is refused even with --overwrite; the CT is intact', async () => {
  await ready;
  const before = readFileSync(ctPath);
  const hard = join(dir, 'hard.nii'), soft = join(dir, 'soft.nii');
  linkSync(ctPath, hard);
  symlinkSync(ctPath, soft);
  for (const output of [ctPath, hard, soft]) {
    const r = await segment(ctPath, output, '--overwrite');
    assert.equal(r.code, 1, `${output}: ${r.message}`);
    assert.match(r.message, /is the input file .*ct\.nii; writing it would destroy the input/);
  }
  assert.deepEqual(readFileSync(ctPath), before);
});

test('segment --output naming the --model file is refused too (the model is an input)', async () => {
  await ready;
  const copy = join(dir, 'model-copy.nii');
  writeFileSync(copy, readFileSync(modelPath));
  const before = readFileSync(copy);
  const r = await outcome(segmentCommand, ['--model', copy, '--input', ctPath, '--output', copy, '--overwrite']);
  assert.equal(r.code, 1);
  assert.match(r.message, /--output .*model-copy\.nii is the input file .*model-copy\.nii/);
  assert.deepEqual(readFileSync(copy), before);
});

test('synth --out where no folder can be made fails before the label map is read', async () => {
  await ready;
  const r = await outcome(synthCommand, ['--labels', ctPath, '--n', '1', '--out', '/proc/anadiff-synth']);
  assert.equal(r.code, 1);
  assert.match(r.message, /--out \/proc\/anadiff-synth: cannot write in \/proc/);
});

test('segment --output in a folder that does not exist fails before the model is even looked at, naming the path', async () => {
  await ready;
  const output = join(dir, 'no-such-folder', 'seg.nii.gz');
  const r = await outcome(segmentCommand, ['--model', join(dir, 'missing-model.onnx'), '--input', ctPath, '--output', output]);
  assert.equal(r.code, 1);
  assert.match(r.message, /--output .*no-such-folder\/seg\.nii\.gz: the folder .*no-such-folder does not exist/);
});

test('segment --output that is a directory is refused up front', async () => {
  await ready;
  const folder = join(dir, 'a-folder.nii.gz');
  mkdirSync(folder);
  const r = await segment(ctPath, folder, '--overwrite');
  assert.match(r.message, /--output .*a-folder\.nii\.gz is a directory/);
});

test('segment --output where nothing can be written (/proc) fails before inference and names the user\'s path, not a temporary file', async () => {
  await ready;
  const r = await segment(ctPath, '/proc/anadiff-seg.nii.gz');
  assert.equal(r.code, 1);
  assert.match(r.message, /--output \/proc\/anadiff-seg\.nii\.gz: cannot write in \/proc/);
  assert.doesNotMatch(r.message, /\.tmp/);
});

test('a --model that is not ONNX is named in the message (not a bare protobuf error)', async () => {
  await ready;
  const bogus = join(dir, 'bogus.onnx');
  writeFileSync(bogus, 'this is a text file, not a model\n'.repeat(20));
  const s = await outcome(segmentCommand, ['--model', bogus, '--input', ctPath, '--output', join(dir, 'out-bogus.nii.gz')]);
  assert.equal(s.code, 1);
  assert.match(s.message, /bogus\.onnx: not an ONNX model \(/);
});

test('a --model that is ONNX but that onnxruntime cannot load is named in the message', async () => {
  await ready;
  const proto = onnx.ModelProto.decode(readFileSync(modelPath));
  proto.graph!.node![0]!.opType = 'NoSuchOp';
  const broken = join(dir, 'broken.onnx');
  writeFileSync(broken, onnx.ModelProto.encode(proto).finish());
  const r = await outcome(segmentCommand, ['--model', broken, '--input', ctPath, '--output', join(dir, 'out-broken.nii.gz'), '--device', 'cpu']);
  assert.equal(r.code, 1);
  assert.match(r.message, /broken\.onnx: onnxruntime cannot load the model \(/);
});

test('segment refuses a 2-D image (one slice) with the reason, and writes nothing', async () => {
  const [ni, nj] = phantom.image.dims;
  const slice = await volume('slice.nii', phantom.image.data.slice(0, ni * nj), [ni, nj, 1]);
  const output = join(dir, 'slice-seg.nii.gz');
  const r = await segment(slice, output);
  assert.equal(r.code, 1);
  assert.match(r.message, /slice\.nii: it is 2-D after dropping size-1 dimensions \(160x128x1\).*pass --force/);
  assert.equal(existsSync(output), false);
});

test('segment refuses a 4-D file (fMRI, a time series) instead of quietly segmenting frame 0', async () => {
  await ready;
  const three = readFileSync(ctPath);
  const four = Buffer.concat([three, three.subarray(352)]);
  four.writeInt16LE(4, 40); // dim[0]: rank 4
  four.writeInt16LE(2, 48); // dim[4]: 2 frames
  const path = join(dir, 'fmri.nii');
  writeFileSync(path, four);
  const r = await segment(path, join(dir, 'fmri-seg.nii.gz'));
  assert.equal(r.code, 1);
  assert.match(r.message, /it has 2 frames \(4-D/);
});

test('segment refuses a volume with NaN or infinite voxels', async () => {
  const data = Float32Array.from(phantom.image.data);
  data[1000] = NaN;
  data[2000] = -Infinity;
  const r = await segment(await volume('nan.nii', data), join(dir, 'nan-seg.nii.gz'));
  assert.equal(r.code, 1);
  assert.match(r.message, /2 of \d+ voxels are NaN or infinite/);
});

test('segment refuses a label map given as --input', async () => {
  const r = await segment(await volume('labels.nii', phantom.labels.data), join(dir, 'labels-seg.nii.gz'));
  assert.equal(r.code, 1);
  assert.match(r.message, /looks like a label map \(14 distinct integer values in 0\.\.13\)/);
});

test('segment refuses intensities with no CT range (an MRI, a CT without its rescale intercept); --force overrides', async () => {
  const mri = await volume('mri.nii', Float32Array.from(phantom.image.data, (v) => v + 1024));
  const r = await segment(mri, join(dir, 'mri-seg.nii.gz'));
  assert.equal(r.code, 1);
  assert.match(r.message, /not CT Hounsfield units/);
  const forced = await segment(mri, join(dir, 'mri-seg.nii.gz'), '--force', '--json');
  assert.equal(forced.code, 0, forced.message);
  assert.ok(existsSync(join(dir, 'mri-seg.nii.gz')));
});

test('evaluate refuses label ids outside --classes, naming them and their voxels; --ignore-extra-labels scores the listed ones', async () => {
  const dims = [12, 10, 8] as const;
  const ref = new Uint8Array(12 * 10 * 8);
  ref.fill(1, 0, 300);
  const pred = Uint8Array.from(ref);
  pred.fill(117, 300, 340); // a TotalSegmentator id scored as BTCV-13
  pred.fill(14, 340, 345);
  const predPath = await volume('pred-117.nii', pred, dims), refPath = await volume('ref-13.nii', ref, dims);
  const r = await outcome(evaluateCommand, ['--pred', predPath, '--ref', refPath, '--json']);
  assert.equal(r.code, 1);
  assert.match(r.message, /the prediction .*pred-117\.nii holds 2 label id\(s\) outside --classes 1\.\.13: 14, 117 \(45 voxels\)/);
  const ok = await outcome(evaluateCommand, ['--pred', predPath, '--ref', refPath, '--json', '--ignore-extra-labels']);
  assert.equal(ok.code, 0, ok.message);
});

test('train --overlap 5 (and other numbers out of range) are usage errors found before any data is read', async () => {
  const data = join(dir, 'no-such-dataset');
  for (const [flag, value, rule] of [
    ['--overlap', '5', /--overlap must be in \[0, 1\)/],
    ['--warmup', '-3', /--warmup must be an integer >= 0/],
    ['--weight-decay', '-0.1', /--weight-decay must be a number >= 0/],
    ['--threads', '1000', /--threads must be an integer in 1\.\./],
    ['--lr', '0', /--lr must be a number > 0/],
  ] as const) {
    // `--flag=value`: node's parseArgs takes a negative number only in this form.
    const r = await outcome(trainCommand, ['--data', data, `${flag}=${value}`, '--run-dir', join(dir, 'run-never')]);
    assert.equal(r.code, 2, `${flag} ${value}: ${r.message}`);
    assert.match(r.message, rule);
  }
  assert.equal(existsSync(join(dir, 'run-never')), false);
});

test('train --image that is a folder, or a missing --val-label, is named before any case is read', async () => {
  await ready;
  const folder = join(dir, 'image-folder.nii.gz');
  mkdirSync(folder, { recursive: true });
  const r = await outcome(trainCommand, ['--image', folder, '--label', ctPath, '--run-dir', join(dir, 'run-never')]);
  assert.equal(r.code, 1);
  assert.match(r.message, /--image .*image-folder\.nii\.gz is a directory, not a file/);
  const v = await outcome(trainCommand, ['--image', ctPath, '--label', ctPath, '--val-image', ctPath, '--val-label', join(dir, 'absent.nii.gz'), '--run-dir', join(dir, 'run-never')]);
  assert.equal(v.code, 1);
  assert.match(v.message, /--val-label .*absent\.nii\.gz: no such file/);
  assert.equal(existsSync(join(dir, 'run-never')), false);
});

test('segment --threads 1000 is refused', async () => {
  await ready;
  const r = await segment(ctPath, join(dir, 'threads.nii.gz'), '--threads', '1000');
  assert.equal(r.code, 2);
  assert.match(r.message, /--threads must be an integer in 1\.\./);
});

test('info on a folder says it is a directory; --frame abc is named as a bad frame index', async () => {
  const folder = join(dir, 'DIR.nii.gz');
  mkdirSync(folder);
  const r = await outcome(infoCommand, [folder]);
  assert.equal(r.code, 1);
  assert.match(r.message, /DIR\.nii\.gz is a directory, not a file/);
  await ready;
  const f = await outcome(infoCommand, [ctPath, '--frame', 'abc']);
  assert.equal(f.code, 2);
  assert.match(f.message, /--frame must be an integer >= 0 \(a 0-based frame index\), got abc/);
});

test('one exit-code rule: usage errors exit 2 in every command, bad input exits 1', async () => {
  // Through main: no command, an unknown one, an option node's parseArgs rejects.
  for (const args of [[], ['no-such-command'], ['info', '--bogus', 'x']]) {
    const r = anadiff(args);
    assert.equal(r.status, 2, `anadiff ${args.join(' ')}: ${r.stderr}`);
  }
  // In-process: a required flag or FILE missing, in each command that used to exit 1 for it.
  for (const [command, args] of [[infoCommand, []], [sampleCommand, []], [synthCommand, ['--out', dir]], [evaluateCommand, ['--pred', 'x']], [protocolCommand, ['btcv']], [benchNiftiCommand, []]] as const) {
    const r = await outcome(command, [...args]);
    assert.equal(r.code, 2, `${command.name} ${args.join(' ')}: ${r.message}`);
  }
  const bad = await outcome(infoCommand, [join(dir, 'missing.nii')]);
  assert.equal(bad.code, 1, bad.message);
});

test('sample --out on a path that can never exist fails at once (it hung in a recursive mkdir)', () => {
  const r = anadiff(['sample', '--out', '/proc/anadiff-sample'], 20_000);
  assert.notEqual(r.signal, 'SIGTERM', 'sample --out /proc/... must not hang');
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /--out \/proc\/anadiff-sample: cannot write in \/proc/);
});

test('sample --out below a file is refused before the phantom is made', async () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const f = await outcome(sampleCommand, ['--out', join(file, 'sub')]);
  assert.equal(f.code, 1);
  assert.match(f.message, /a-file is a file, so the folder cannot be created/);
});

test('the viewer webview may load only its bundle and media (not the opened file\'s folder)', () => {
  const panel = readFileSync(join(ROOT, 'src/extension/viewer/panel.ts'), 'utf8');
  const roots = /localResourceRoots: \[([^\]]*)\]/.exec(panel)?.[1] ?? '';
  const entries = roots.split('\n').map((s) => s.trim()).filter(Boolean);
  assert.ok(entries.length > 0, 'localResourceRoots not found');
  for (const entry of entries) assert.match(entry, /^vscode\.Uri\.joinPath\(services\.extensionUri, /, entry);
});

test('the manifest does not claim virtual workspaces are read through the file system API (the viewer reads with Node\'s fs)', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { capabilities: { virtualWorkspaces: { description: string } } };
  const text = manifest.capabilities.virtualWorkspaces.description;
  assert.doesNotMatch(text, /file system API/);
  assert.match(text, /local/);
});
