import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDoctorReport, gatherDoctorReport, pinnedOnnxruntime } from '../../../../src/node/engine/doctor.js';
import { cudaProvidersInstalled } from '../../../../src/node/engine/providers.js';

test('doctor reports versions, threads, providers and, without CUDA providers, how to get them', async () => {
  const report = await gatherDoctorReport({ sessionCheck: false });
  assert.equal(report.onnxruntime.version, pinnedOnnxruntime);
  assert.ok(report.threads >= 1);
  assert.ok(report.providers.includes('cpu'));
  assert.ok(report.onnxruntime.backends.some((b) => b.name === 'cpu' && b.bundled));
  const text = formatDoctorReport(report);
  assert.match(text, /onnxruntime-node\s+1\.29\.0/);
  if (!cudaProvidersInstalled()) {
    assert.ok(report.cuda.missing.some((m) => m.includes('com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9')));
    assert.match(text, /To use CUDA:/);
  }
  assert.doesNotThrow(() => JSON.stringify(report));
});
