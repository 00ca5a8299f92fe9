/**
 * `anadiff segment` end to end with a model trained in-test (the runtime's runTraining, segmentation job, tiny UNet,
 * a few steps on the phantom): from the run folder (metadata from its config.json) to a label map that nibabel loads
 * with the input's exact affine and shape and integer labels drawn from the run's classes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePhantom } from '../../src/core/phantom/index.js';
import { prepareVolume } from '../../src/node/train/jobs/segmentation-data.js';
import { segmentationProgramFrom } from '../../src/node/train/jobs/segmentation.js';
import { runTraining } from '../../src/node/engine/trainer.js';
import { writeNiftiFile } from '../../src/node/nifti/index.js';
import { CliError } from '../../src/cli/command.js';
import { segmentCommand } from '../../src/cli/commands/segment.js';
import type { SegmentationJob } from '../../src/node/train/jobs/job-spec.js';
import type { TrainRequestParams } from '../../src/node/engine/trainer.js';
import { nibabelUnavailable, PYTHON, REPO_ROOT } from './nibabel-helpers.js';

const job: SegmentationJob = {
  kind: 'segmentation', net: 'unet', preset: 'tiny', channels: 4, patch: [64, 64, 32], loss: 'bce-dice',
  optimizer: { rule: 'adamw' }, schedule: { kind: 'constant', lr: 1e-3 }, data: { kind: 'phantom', size: 'small' }, labels: [6, 1],
};

/** The phantom's central 64x64x32 voxels (160x160x150 mm, stored LPS) with the affine moved to match: a small CT. */
function centralBlock(): { dims: [number, number, number]; ijkToRas: number[]; data: Int16Array } {
  const { image } = makePhantom({ size: 'small' });
  const [nx, ny] = image.dims, size = [64, 64, 32] as const, start = [48, 32, 16] as const;
  const data = new Int16Array(size[0] * size[1] * size[2]);
  for (let k = 0; k < size[2]; k++) for (let j = 0; j < size[1]; j++) for (let i = 0; i < size[0]; i++) {
    data[i + size[0] * (j + size[1] * k)] = image.data[start[0] + i + nx * (start[1] + j + ny * (start[2] + k))]!;
  }
  const m = [...image.ijkToRas];
  for (let r = 0; r < 3; r++) m[r * 4 + 3] = m[r * 4 + 3]! + m[r * 4]! * start[0] + m[r * 4 + 1]! * start[1] + m[r * 4 + 2]! * start[2];
  return { dims: [...size], ijkToRas: m, data };
}

const CHECK = `
import json, sys, nibabel as nib, numpy as np
ct, seg = nib.load(sys.argv[1]), nib.load(sys.argv[2])
data = np.asanyarray(seg.dataobj)
print(json.dumps({"same_affine": bool(np.array_equal(ct.affine, seg.affine)), "ct_shape": list(ct.shape), "seg_shape": list(seg.shape),
                  "dtype": str(data.dtype), "values": sorted(int(v) for v in np.unique(data))}))
`;

test('segment --model RUN_DIR writes a label map nibabel reads with the CT\'s affine and shape', async (t) => {
  const missing = nibabelUnavailable();
  if (missing) return t.skip(`segment nibabel check: ${missing}`);
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-segment-ref-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const runDir = join(dir, 'run');
  const params: TrainRequestParams = { runDir, steps: 2, checkpointEvery: 2, seed: 1, resume: false, provider: 'cpu', threads: 1, exportOnnx: true };
  await runTraining(segmentationProgramFrom(job, await prepareVolume(job)), { ...params, config: JSON.parse(JSON.stringify({ job, ...params })) });

  const input = join(dir, 'ct.nii.gz');
  await writeNiftiFile(input, centralBlock(), { compressionLevel: 1 });
  const output = join(dir, 'seg.nii.gz');
  const cli = (...args: string[]): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'segment', ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  // The central block holds no air, so segment's CT check would refuse it (no value below -200 HU); this test is about
  // the output's grid, so it forces the run.
  const r = cli('--model', runDir, '--input', input, '--output', output, '--device', 'cpu', '--threads', '1', '--batch', '2', '--overlap', '0.25', '--json', '--force');
  assert.equal(r.status, 0, String(r.stderr));
  const summary = JSON.parse(String(r.stdout)) as { model: { metadataSource: string }; provider: string };
  assert.equal(summary.model.metadataSource, 'config.json');
  assert.equal(summary.provider, 'cpu');

  const check = spawnSync(PYTHON, ['-c', CHECK, input, output], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  const seen = JSON.parse(check.stdout) as { same_affine: boolean; ct_shape: number[]; seg_shape: number[]; dtype: string; values: number[] };
  assert.ok(seen.same_affine, 'the label map has the CT\'s affine exactly');
  assert.deepEqual(seen.seg_shape, seen.ct_shape);
  assert.equal(seen.dtype, 'uint8');
  assert.ok(seen.values.every((v) => [0, 6, 1].includes(v)), `labels are the run's label values: ${seen.values.join(',')}`);

  // Refusals through the command itself (no extra process start): CliError with the exit code main would use.
  const refused = (args: string[], code: number, message: RegExp): Promise<void> =>
    assert.rejects(segmentCommand.run(args), (e: unknown) => e instanceof CliError && e.exitCode === code && message.test(e.message));
  await refused(['--model', runDir, '--input', input, '--output', output], 1, /exists; pass --overwrite/);
  await refused(['--model', runDir, '--input', input, '--output', join(dir, 'b.nii.gz'), '--argmax'], 1, /--argmax applies to softmax models/);
  await refused(['--input', input], 2, /--input and --output are required/);
  await refused(['--input', input, '--output', join(dir, 'c.nii.gz'), '--overlap', '1'], 2, /--overlap must be in \[0, 1\)/);
});
