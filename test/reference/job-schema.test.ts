/**
 * The job configs' contributed JSON schemas (schemas/job-*.schema.json, what the editor completes and validates
 * `*.anadiff-<job>.json` with) against the parser that turns a config into flags (core/jobs/job-config.ts), judged by
 * Python's jsonschema: every option's example value is valid for both, every malformed value invalid for both, and
 * the editor's own configs (what New … Run writes) pass.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { jobConfig, jobConfigArgs, type JobOptionValue } from '../../src/core/jobs/job-config.js';
import { CONFIG_JOBS, JOB_OPTIONS, type JobOption } from '../../src/core/jobs/job-options.js';
import { jobSchemaFile } from '../../src/core/jobs/job-schema.js';
import { badValues, exampleValue } from '../unit/core/jobs/job-option-values.js';

const PYTHON = '/usr/bin/python3';
const ROOT = resolve(__dirname, '../..');

/** jsonschema's verdict on each document: '' when valid, else the first error's message. */
function validate(schemaPath: string, docs: readonly unknown[]): string[] {
  const script = `import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
for doc in json.load(sys.stdin):
    errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
    print(json.dumps(errs[0].message if errs else ''))`;
  const r = spawnSync(PYTHON, ['-c', script, schemaPath], { input: JSON.stringify(docs), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as string);
}

const parses = (doc: unknown, job: (typeof CONFIG_JOBS)[number]): boolean => {
  try {
    jobConfigArgs(doc, job, 'x.json', (p) => p);
    return true;
  } catch {
    return false;
  }
};

test('schema and parser agree on every option\'s good and malformed values, for train, pretrain and coords train', (t) => {
  if (spawnSync(PYTHON, ['-c', 'import jsonschema']).status !== 0) return t.skip(`${PYTHON} lacks jsonschema (apt-get install python3-jsonschema)`);
  for (const job of CONFIG_JOBS) {
    const entries = Object.entries(JOB_OPTIONS[job]) as [string, JobOption][];
    const good = [jobConfig(job, Object.fromEntries(entries.map(([k, o]) => [k, exampleValue(o) as JobOptionValue])))];
    const bad: unknown[] = entries.flatMap(([k, o]) => badValues(o).map((v) => jobConfig(job, { [k]: v as JobOptionValue })));
    bad.push({ ...good[0], job: 'compare' }, { ...good[0], extra: true }, jobConfig(job, { 'not-an-option': 1 }), { format: 'anadiff-job', version: 1, job });
    const schemaPath = join(ROOT, 'schemas', jobSchemaFile(job));
    assert.deepEqual(validate(schemaPath, good), [''], `${job}: the schema refuses the example config`);
    assert.ok(parses(good[0], job), `${job}: the parser refuses the example config`);
    const verdicts = validate(schemaPath, bad);
    bad.forEach((doc, n) => {
      assert.notEqual(verdicts[n], '', `${job}: the schema accepts ${JSON.stringify(doc)}`);
      assert.equal(parses(doc, job), false, `${job}: the parser accepts ${JSON.stringify(doc)}`);
    });
  }
});
