/**
 * The compare config's contributed JSON schema (schemas/compare-config.schema.json, what the editor validates and
 * completes with) against the parser (core/compare/config.ts), checked by Python's jsonschema: the committed configs and
 * the smoke config are valid for both; configs the parser refuses are refused by the schema too; and the schema names
 * exactly the fields the parser fills, so neither can gain a field the other lacks.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { CompareConfigError, parseCompareConfig, SMOKE_CONFIG } from '../../src/core/compare/config.js';
import { jsonschemaMissing, validateWithJsonschema } from './jsonschema.js';

const ROOT = resolve(__dirname, '../..');
const SCHEMA_PATH = join(ROOT, 'schemas', 'compare-config.schema.json');
const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Record<string, unknown>;

test('committed configs and the smoke config are valid for the schema and the parser; refused configs are refused by both', (t) => {
  const missing = jsonschemaMissing();
  if (missing) return t.skip(missing);
  const good = [SMOKE_CONFIG, ...['compare-cpu.json', 'compare-paper.json'].map((f) => JSON.parse(readFileSync(join(ROOT, 'configs', f), 'utf8')) as object)];
  assert.deepEqual(validateWithJsonschema(SCHEMA_PATH, good), good.map(() => ''));
  const s = SMOKE_CONFIG;
  const bad: Record<string, unknown>[] = [
    { ...s, format: 'x' }, { ...s, arms: ['genesis'] }, { ...s, arms: ['genesis', 'vae'] }, { ...s, seeds: [0, 0] }, { ...s, preset: 'huge' },
    { ...s, spacingMm: [3, 0, 4] }, { ...s, pretrain: { ...s.pretrain, steps: 0 } }, { ...s, pretrain: { ...s.pretrain, patch: [16, 16] } },
    { ...s, probe: { ...s.probe, modes: ['finetune'] } }, { ...s, probe: { ...s.probe, overlap: 1 } }, { ...s, probe: { ...s.probe, slabs: 2 } },
    { ...s, data: { ...s.data, test: [] } }, { ...s, data: { ...s.data, val: [{ file: 'x' }] } }, { ...s, synth: [{ labels: 'l', n: 0, seed: 1, out: 'o' }] },
  ];
  const verdicts = validateWithJsonschema(SCHEMA_PATH, bad);
  bad.forEach((doc, n) => {
    assert.notEqual(verdicts[n], '', `schema accepts bad config ${n}`);
    assert.throws(() => parseCompareConfig(doc, 'bad.json'), CompareConfigError, `parser accepts bad config ${n}`);
  });
});

/** Property names by path ("", "pretrain", "data", ...) in a schema object, and the same for a parsed config. */
function schemaKeys(node: Record<string, unknown>, at: string, out: Map<string, string[]>): Map<string, string[]> {
  const props = node.properties as Record<string, Record<string, unknown>> | undefined;
  if (!props) return out;
  out.set(at, Object.keys(props).sort());
  for (const [k, v] of Object.entries(props)) if (v.type === 'object') schemaKeys(v, at ? `${at}.${k}` : k, out);
  return out;
}
function configKeys(node: Record<string, unknown>, at: string, out: Map<string, string[]>): Map<string, string[]> {
  out.set(at, Object.keys(node).sort());
  for (const [k, v] of Object.entries(node)) if (v && typeof v === 'object' && !Array.isArray(v)) configKeys(v as Record<string, unknown>, at ? `${at}.${k}` : k, out);
  return out;
}

test('the schema names exactly the fields the parser fills, at every level', () => {
  const fromSchema = schemaKeys(schema, '', new Map());
  const fromParser = configKeys(SMOKE_CONFIG as unknown as Record<string, unknown>, '', new Map());
  assert.deepEqual([...fromSchema].sort(), [...fromParser].sort());
});
