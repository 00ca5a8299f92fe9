/**
 * The job configs' contributed JSON schemas (schemas/job-*.schema.json, what the editor completes and validates
 * `*.anadiff-<job>.json` with) against the parser that turns a config into flags (core/jobs/job-config.ts), judged by
 * Python's jsonschema: every option's example value is valid for both, every malformed value invalid for both, and
 * the editor's own configs (what New … Run writes) pass.
 */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { jobConfig, jobConfigArgs, type JobOptionValue } from '../../src/core/jobs/job-config.js';
import { CONFIG_JOBS, JOB_OPTIONS, type JobOption } from '../../src/core/jobs/job-options.js';
import { jobSchemaFile } from '../../src/core/jobs/job-schema.js';
import { badValues, exampleValue } from '../unit/core/jobs/job-option-values.js';
import { jsonschemaMissing, validateWithJsonschema } from './jsonschema.js';

const ROOT = resolve(__dirname, '../..');

const parses = (doc: unknown, job: (typeof CONFIG_JOBS)[number]): boolean => {
  try {
    jobConfigArgs(doc, job, 'x.json', (p) => p);
    return true;
  } catch {
    return false;
  }
};

test('schema and parser agree on every option\'s good and malformed values, for train, pretrain and coords train', (t) => {
  const missing = jsonschemaMissing();
  if (missing) return t.skip(missing);
  for (const job of CONFIG_JOBS) {
    const entries = Object.entries(JOB_OPTIONS[job]) as [string, JobOption][];
    const good = [jobConfig(job, Object.fromEntries(entries.map(([k, o]) => [k, exampleValue(o) as JobOptionValue])))];
    const bad: unknown[] = entries.flatMap(([k, o]) => badValues(o).map((v) => jobConfig(job, { [k]: v as JobOptionValue })));
    bad.push({ ...good[0], job: 'compare' }, { ...good[0], extra: true }, jobConfig(job, { 'not-an-option': 1 }), { format: 'anadiff-job', version: 1, job });
    const schemaPath = join(ROOT, 'schemas', jobSchemaFile(job));
    assert.deepEqual(validateWithJsonschema(schemaPath, good), [''], `${job}: the schema refuses the example config`);
    assert.ok(parses(good[0], job), `${job}: the parser refuses the example config`);
    const verdicts = validateWithJsonschema(schemaPath, bad);
    bad.forEach((doc, n) => {
      assert.notEqual(verdicts[n], '', `${job}: the schema accepts ${JSON.stringify(doc)}`);
      assert.equal(parses(doc, job), false, `${job}: the parser accepts ${JSON.stringify(doc)}`);
    });
  }
});
