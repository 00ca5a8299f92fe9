/**
 * `--config FILE` of train, pretrain and coords train: a config file runs the same job as the flags it stands for
 * (equal config.json), flags beside it win, and a config that is missing, a folder, another job's or combined with
 * --resume is refused before any work, naming the file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CliCommand } from '../../../../src/cli/command.js';
import { coordsTrainCommand } from '../../../../src/cli/commands/coords.js';
import { pretrainCommand } from '../../../../src/cli/commands/pretrain.js';
import { trainCommand } from '../../../../src/cli/commands/train.js';
import { jobConfig } from '../../../../src/core/jobs/job-config.js';

const dir = mkdtempSync(join(tmpdir(), 'anadiff-job-config-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

async function outcome(command: CliCommand, argv: string[]): Promise<{ code: number; message: string }> {
  const log = console.error;
  console.error = () => {};
  try {
    return { code: await command.run(argv), message: '' };
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    return { code: typeof code === 'number' ? code : 1, message: (e as Error).message.split('\n')[0]! };
  } finally {
    console.error = log;
  }
}

/** config.json of a run without what differs between two runs of one job (its folder, its start time). */
function runConfig(runDir: string): unknown {
  const { createdAt: _c, ...rest } = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  return rest;
}

test('a config file runs the same job as its flags (train and pretrain: equal config.json); relative paths are the file\'s', { timeout: 120_000 }, async () => {
  const sub = join(dir, 'configs');
  mkdirSync(sub);
  const jobs: [CliCommand, 'train' | 'pretrain', Record<string, string | number | boolean | number[]>, string[]][] = [
    [trainCommand, 'train', { phantom: true, preset: 'tiny', epochs: 1, 'steps-per-epoch': 2, patch: [32, 32, 16], spacing: [6, 6, 6], 'no-augment': true },
      ['--phantom', '--preset', 'tiny', '--epochs', '1', '--steps-per-epoch', '2', '--patch', '32x32x16', '--spacing', '6x6x6', '--no-augment']],
    [pretrainCommand, 'pretrain', { method: 'genesis', phantom: true, preset: 'tiny', steps: 2, patch: [32, 32, 16], spacing: [6, 6, 6], 'checkpoint-every': 1 },
      ['--method', 'genesis', '--phantom', '--preset', 'tiny', '--steps', '2', '--patch', '32x32x16', '--spacing', '6x6x6', '--checkpoint-every', '1']],
  ];
  for (const [command, job, options, flags] of jobs) {
    const file = join(sub, `a.anadiff-${job}.json`);
    writeFileSync(file, JSON.stringify(jobConfig(job, { ...options, 'run-dir': `../${job}-from-config` })));
    assert.deepEqual(await outcome(command, ['--config', file, '--threads', '1', '--device', 'cpu']), { code: 0, message: '' }, job);
    assert.deepEqual(await outcome(command, [...flags, '--threads', '1', '--device', 'cpu', '--run-dir', join(dir, `${job}-from-flags`)]), { code: 0, message: '' }, job);
    assert.deepEqual(runConfig(join(dir, `${job}-from-config`)), runConfig(join(dir, `${job}-from-flags`)), job);
  }
});

test('flags beside --config win (data named on the command line replaces the config\'s); their errors say which file the other options came from', async () => {
  const file = join(dir, 'b.anadiff-train.json');
  writeFileSync(file, JSON.stringify(jobConfig('train', { phantom: true, epochs: 2 })));
  assert.deepEqual(await outcome(trainCommand, ['--config', file, '--epochs', '0']), { code: 2, message: `--epochs must be a positive integer, got 0 (options read from ${file})` });
  // the config's phantom gives way to the command line's --image/--label (else: "give exactly one of ...")
  const missing = join(dir, 'missing_ct.nii.gz');
  assert.match((await outcome(trainCommand, ['--config', file, '--image', missing, '--label', missing])).message, /--image .*missing_ct\.nii\.gz/);
  assert.deepEqual(await outcome(trainCommand, ['--config', file, `--resume=${dir}`]), { code: 2, message: '--resume continues a run with its own config.json; drop --config' });
});

test('a missing config, a folder, another job\'s config, a malformed one or one with --resume is refused, naming it', async () => {
  const coords = join(dir, 'c.anadiff-coords.json');
  writeFileSync(coords, JSON.stringify(jobConfig('coords train', { phantom: true, steps: 5 })));
  const bad = join(dir, 'd.anadiff-coords.json');
  writeFileSync(bad, JSON.stringify(jobConfig('coords train', { steps: 0 })));
  const broken = join(dir, 'e.anadiff-train.json');
  writeFileSync(broken, '{"format": "anadiff-job",');
  const missing = join(dir, 'nope.json');
  assert.deepEqual(await outcome(trainCommand, ['--config', missing]), { code: 1, message: `--config ${missing}: no such file` });
  assert.deepEqual(await outcome(trainCommand, ['--config', dir]), { code: 1, message: `--config ${dir}: a folder, not a config file` });
  assert.deepEqual(await outcome(pretrainCommand, ['--config', coords]), { code: 1, message: `${coords}: a config of job "coords train", not of \`anadiff pretrain\`` });
  assert.deepEqual(await outcome(coordsTrainCommand, ['--config', bad]), { code: 1, message: `${bad}: options.steps: must be an integer >= 1, got 0` });
  assert.match((await outcome(trainCommand, ['--config', broken])).message, /^--config .*e\.anadiff-train\.json: .*JSON/);
  assert.deepEqual(await outcome(coordsTrainCommand, ['--config', coords, '--resume', dir]), { code: 2, message: '--resume continues a run with its own config.json; drop --config' });
  assert.deepEqual(await outcome(coordsTrainCommand, ['--config']), { code: 2, message: '--config needs a file: --config FILE' });
});
