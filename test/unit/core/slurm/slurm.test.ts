import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { arrayTasks, buildSbatchScript, shellArg, shellQuote } from '../../../../src/core/slurm/sbatch.js';
import { foldState, parseSacct, parseScontrol, parseSqueue } from '../../../../src/core/slurm/state.js';
import { withRunDir } from '../../../../src/cli/commands/submit.js';

/** What bash makes of a command line: the arguments, NUL-separated. */
function bashArgs(line: string, env: Record<string, string> = {}): string[] {
  const r = spawnSync('bash', ['-c', `for a in ${line}; do printf '%s\\0' "$a"; done`], { encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\0').slice(0, -1);
}

test('shell quoting survives quotes, spaces, $, backticks, globs and newlines', () => {
  const nasty = ["it's", 'a b', '$HOME', '`id`', '*', 'x\ny', '"', '', '--name=$(rm -rf /)'];
  assert.deepEqual(bashArgs(nasty.map(shellQuote).join(' ')), nasty);
});

test('{task} and {run} expand at run time, the rest stays literal', () => {
  const line = ['--seed', '{task}', '--run-dir', '{run}', '--name', "n'{task}"].map((a) => shellArg(a, '/runs/r 1', true)).join(' ');
  assert.deepEqual(bashArgs(line, { SLURM_ARRAY_TASK_ID: '3' }), ['--seed', '3', '--run-dir', '/runs/r 1/task-3', '--name', "n'3"]);
  assert.deepEqual(bashArgs(shellArg('{run}', '/runs/single', false)), ['/runs/single']);
});

test('array specs: ranges, lists, steps and throttles; bad specs name the part', () => {
  assert.deepEqual(arrayTasks('0-4'), [0, 1, 2, 3, 4]);
  assert.deepEqual(arrayTasks('0,2,5'), [0, 2, 5]);
  assert.deepEqual(arrayTasks('0-6:3%2'), [0, 3, 6]);
  assert.throws(() => arrayTasks('a-b'), /each part must be/);
  assert.throws(() => arrayTasks('4-1'), /empty range/);
});

test('the script: directives first, then one exec line; white space in a directive is refused', () => {
  const script = buildSbatchScript({ runDir: '/r', jobName: 'anadiff-train', node: '/usr/bin/node', entry: '/a/bin/anadiff.js', jobArgs: ['train', '--phantom'], workdir: '/w', gpus: 1, time: '01:00:00', array: '0-1' });
  const lines = script.split('\n');
  assert.equal(lines[0], '#!/bin/bash');
  assert.ok(lines.includes('#SBATCH --gpus=1') && lines.includes('#SBATCH --array=0-1') && lines.includes('#SBATCH --output=/r/slurm-%A_%a.out'));
  assert.equal(lines.filter((l) => l.startsWith('exec ')).length, 1);
  assert.ok(lines.findIndex((l) => l.startsWith('#SBATCH')) < lines.findIndex((l) => l.startsWith('exec ')));
  assert.throws(() => buildSbatchScript({ runDir: '/r', jobName: 'x', node: 'n', entry: 'e', jobArgs: [], workdir: '/w', partition: 'a b' }), /white space/);
});

test('train and protocol btcv write to {run} unless they name --run-dir or --resume', () => {
  assert.deepEqual(withRunDir(['train', '--phantom']), ['train', '--phantom', '--run-dir', '{run}']);
  assert.deepEqual(withRunDir(['protocol', 'btcv', '--folds', '{task}']), ['protocol', 'btcv', '--folds', '{task}', '--run-dir', '{run}']);
  assert.deepEqual(withRunDir(['train', '--resume', 'R']), ['train', '--resume', 'R']);
  assert.deepEqual(withRunDir(['segment', '--input', 'a']), ['segment', '--input', 'a']);
});

test('scheduler output: squeue (folded pending tasks), scontrol, sacct; states folded', () => {
  assert.deepEqual(parseSqueue('12_0|RUNNING\n12_[1-2]|PENDING\n').map((s) => [s.jobId, s.task, s.state]), [['12_0', 0, 'running'], ['12_1', 1, 'queued'], ['12_2', 2, 'queued']]);
  const sc = parseScontrol('JobId=14 ArrayJobId=12 ArrayTaskId=1 JobName=x JobState=COMPLETED Reason=None\nJobId=15 JobName=y JobState=TIMEOUT Reason=TimeLimit\n');
  assert.deepEqual(sc.map((s) => [s.jobId, s.task, s.state]), [['12_1', 1, 'done'], ['15', undefined, 'failed']]);
  assert.deepEqual(parseSacct('13|CANCELLED by 0\n13.batch|CANCELLED\n').map((s) => [s.jobId, s.state]), [['13', 'cancelled']]);
  assert.equal(foldState('OUT_OF_MEMORY'), 'failed');
  assert.equal(foldState('WEIRD'), 'unknown');
});
