/** Python's jsonschema (Debian's python3-jsonschema) as the reference validator of the contributed JSON schemas. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';

/** Why jsonschema cannot be used here, or undefined when it can. */
export function jsonschemaMissing(): string | undefined {
  return spawnSync(PYTHON, ['-c', 'import jsonschema']).status === 0 ? undefined : `${PYTHON} lacks jsonschema (apt-get install python3-jsonschema)`;
}

/** jsonschema's verdict on each document against the schema file (itself checked first): '' when valid, else the first error's message. */
export function validateWithJsonschema(schemaPath: string, docs: readonly unknown[]): string[] {
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
