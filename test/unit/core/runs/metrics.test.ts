import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsReader, parseMetricsLine } from '../../../../src/core/runs/metrics.js';

const enc = new TextEncoder();
const stepLine = (step: number) => `{"step":${step},"loss":${(1 / step).toFixed(6)},"lr":0.0003,"ms":${100 + (step % 7)}}\n`;
const valLine = (step: number, mean: number) =>
  `{"kind":"validation","step":${step},"epoch":${step / 10},"meanDice":${mean},"dice":{"spleen":${mean + 0.1},"liver":${mean - 0.1}},"cases":["0021"],"ms":2500}\n`;

test('steps and validation lines are told apart; a line without "kind" is a step', () => {
  assert.deepEqual(parseMetricsLine('{"step":3,"loss":0.5,"lr":0.001,"ms":12}'), { kind: 'step', step: 3, loss: 0.5, lr: 0.001, ms: 12 });
  const v = parseMetricsLine(valLine(10, 0.4).trim());
  assert.equal(v?.kind, 'validation');
  assert.deepEqual(v?.kind === 'validation' ? v.dice : undefined, { spleen: 0.5, liver: 0.30000000000000004 });
  assert.equal(parseMetricsLine('{"kind":"other","step":1,"loss":1}'), undefined);
  assert.equal(parseMetricsLine('{"step":1,"lo'), undefined);
});

test('a step line\'s loss terms (guided pretraining) are kept; entries that are not numbers are dropped', () => {
  const line = '{"step":4,"loss":0.9,"terms":{"eps":0.8,"coords":0.05,"note":"x"},"lr":0.001,"ms":12}';
  assert.deepEqual(parseMetricsLine(line), { kind: 'step', step: 4, loss: 0.9, terms: { eps: 0.8, coords: 0.05 }, lr: 0.001, ms: 12 });
  assert.deepEqual(parseMetricsLine('{"step":4,"loss":0.9,"terms":[1]}'), { kind: 'step', step: 4, loss: 0.9 });
  const reader = new MetricsReader();
  assert.deepEqual(reader.feed(enc.encode(`${line}\n`)).steps, [{ step: 4, loss: 0.9, terms: { eps: 0.8, coords: 0.05 }, lr: 0.001, ms: 12 }]);
});

test('a half-written last line waits for its newline; only new bytes are fed', () => {
  const reader = new MetricsReader();
  const text = stepLine(1) + stepLine(2) + valLine(2, 0.3);
  const bytes = enc.encode(text + '{"step":3,"loss":0.3');
  let d = reader.feed(bytes.subarray(0, 10));
  assert.equal(d.steps.length, 0);
  d = reader.feed(bytes.subarray(10));
  assert.deepEqual(d.steps.map((s) => s.step), [1, 2]);
  assert.deepEqual(d.validations.map((v) => v.meanDice), [0.3]);
  assert.equal(reader.pendingText, '{"step":3,"loss":0.3');
  d = reader.feed(enc.encode(',"lr":0.0002,"ms":99}\n'));
  assert.deepEqual(d.steps, [{ step: 3, loss: 0.3, lr: 0.0002, ms: 99 }]);
  assert.equal(reader.history.steps.length, 3);
  assert.equal(reader.bytesRead, bytes.byteLength + ',"lr":0.0002,"ms":99}\n'.length);
  assert.equal(reader.history.skipped, 0);
});

test('a torn line in the middle (killed run, then resumed) is skipped and counted', () => {
  const reader = new MetricsReader();
  reader.feed(enc.encode(stepLine(1) + '{"step":2,"lo\n' + stepLine(2)));
  assert.deepEqual(reader.history.steps.map((s) => s.step), [1, 2]);
  assert.equal(reader.history.skipped, 1);
});

test('a chunk boundary inside a multi-byte character does not corrupt the line', () => {
  const reader = new MetricsReader();
  const bytes = enc.encode('{"kind":"validation","step":5,"epoch":1,"meanDice":0.5,"dice":{"Lebér":0.5},"cases":[],"ms":1}\n');
  const cut = bytes.indexOf(0xc3) + 1;
  reader.feed(bytes.subarray(0, cut));
  reader.feed(bytes.subarray(cut));
  assert.deepEqual(reader.history.validations[0]?.dice, { 'Lebér': 0.5 });
});

test('100k lines fed in 64 KiB chunks parse in well under a second', () => {
  let text = '';
  for (let s = 1; s <= 100_000; s++) text += s % 1000 === 0 ? valLine(s, 0.5) : stepLine(s);
  const bytes = enc.encode(text);
  const reader = new MetricsReader();
  const t0 = performance.now();
  for (let at = 0; at < bytes.byteLength; at += 65536) reader.feed(bytes.subarray(at, Math.min(bytes.byteLength, at + 65536)));
  const ms = performance.now() - t0;
  assert.equal(reader.history.steps.length, 99_900);
  assert.equal(reader.history.validations.length, 100);
  assert.ok(ms < 1500, `100k lines took ${ms.toFixed(0)} ms`);
});
