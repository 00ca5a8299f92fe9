/**
 * Job config files (core/jobs): a config becomes exactly the flags it stands for, every malformed value is refused
 * naming the file and the key, and the committed schemas are the ones the option tables make (`npm run schemas`).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { jobConfig, JobConfigError, jobConfigArgs, type JobOptionValue } from '../../../../src/core/jobs/job-config.js';
import { CONFIG_JOBS, JOB_OPTIONS, type JobOption } from '../../../../src/core/jobs/job-options.js';
import { jobConfigSchema, jobSchemaFile } from '../../../../src/core/jobs/job-schema.js';
import { exampleValue, badValues } from './job-option-values.js';

const ROOT = resolve(__dirname, '../../../..');
const abs = (p: string): string => `/cfg/${p}`;

test('the committed schemas are the ones the option tables make (run `npm run schemas` after changing an option)', () => {
  for (const job of CONFIG_JOBS) {
    const committed = JSON.parse(readFileSync(join(ROOT, 'schemas', jobSchemaFile(job)), 'utf8')) as unknown;
    assert.deepEqual(committed, jobConfigSchema(job), jobSchemaFile(job));
  }
});

test('package.json validates each job config suffix with its schema, and the VSIX check ships the schemas', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { contributes: { jsonValidation: { fileMatch: string[]; url: string }[] } };
  const packaging = readFileSync(join(ROOT, 'scripts', 'package.mjs'), 'utf8');
  for (const job of CONFIG_JOBS) {
    const tag = job === 'coords train' ? 'coords' : job;
    const entry = pkg.contributes.jsonValidation.find((v) => v.fileMatch.includes(`*.anadiff-${tag}.json`));
    assert.equal(entry?.url, `./schemas/${jobSchemaFile(job)}`, job);
    assert.ok(packaging.includes(`schemas/${jobSchemaFile(job)}`), `package.mjs checks schemas/${jobSchemaFile(job)}`);
  }
});

test('a config becomes the flags a user would type; paths are read from the config file\'s folder', () => {
  const doc = jobConfig('train', { phantom: true, 'no-augment': false, epochs: 3, lr: 0.001, patch: [32, 32, 16], spacing: [6, 6, 4.5], labels: [1, 6], mode: 'linear', backbone: 'runs/pre', 'slab-slices': '4-40' });
  assert.deepEqual(jobConfigArgs(doc, 'train', 'a.json', abs), [
    '--phantom', '--epochs=3', '--lr=0.001', '--patch=32x32x16', '--spacing=6x6x4.5', '--labels=1,6', '--mode=linear', '--backbone=/cfg/runs/pre', '--slab-slices=4-40',
  ]);
  assert.deepEqual(jobConfigArgs(jobConfig('coords train', { image: ['a.nii.gz', 'b.nii.gz'], slots: [512, 128] }), 'coords train', 'c.json', abs), ['--image=/cfg/a.nii.gz', '--image=/cfg/b.nii.gz', '--slots=512,128']);
  // a keyword stays as it is, a path is the config's; a value that begins with '-' stays a value
  assert.deepEqual(jobConfigArgs(jobConfig('pretrain', { coords: 'oracle', name: '-odd' }), 'pretrain', 'p.json', abs), ['--coords=oracle', '--name=-odd']);
  assert.deepEqual(jobConfigArgs(jobConfig('pretrain', { coords: 'runs/coords' }), 'pretrain', 'p.json', abs), ['--coords=/cfg/runs/coords']);
});

test('every option takes its example value and refuses each malformed one, naming the file and the key', () => {
  let refused = 0;
  for (const job of CONFIG_JOBS) {
    for (const [key, option] of Object.entries(JOB_OPTIONS[job]) as [string, JobOption][]) {
      assert.ok(jobConfigArgs(jobConfig(job, { [key]: exampleValue(option) as JobOptionValue }), job, 'x.json', abs).some((a) => a === `--${key}` || a.startsWith(`--${key}=`)), `${job} ${key}`);
      for (const bad of badValues(option)) {
        assert.throws(() => jobConfigArgs(jobConfig(job, { [key]: bad as never }), job, 'x.json', abs), (e: Error) => e instanceof JobConfigError && e.message.startsWith(`x.json: options.${key}: must be`), `${job} ${key} = ${JSON.stringify(bad)}`);
        refused++;
      }
    }
  }
  assert.ok(refused > 100, `${refused} malformed values`);
});

test('a config of another job, another format or with unknown keys is refused', () => {
  const ok = jobConfig('pretrain', { method: 'genesis' });
  const cases: [unknown, RegExp][] = [
    [ok, /a config of job "pretrain", not of `anadiff train`/],
    [{ ...ok, job: 'train', format: 'anadiff-compare-config' }, /"format" must be "anadiff-job"/],
    [{ ...ok, job: 'train', version: 2 }, /"version" must be 1/],
    [{ ...ok, job: 'train', extra: 1 }, /unknown field "extra"/],
    [{ ...ok, job: 'train', options: { steps: 5 } }, /options.steps: not an option of `anadiff train`/],
    [{ ...ok, job: 'train', options: [] }, /"options" must be an object/],
    [[1], /not a JSON object/],
  ];
  for (const [doc, message] of cases) assert.throws(() => jobConfigArgs(doc, 'train', 'f.json', abs), message);
});
