import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readElfInfo } from '../../../../src/node/engine/elf.js';
import { cudaMarkerFile, installCudaProviders, InstallCudaError } from '../../../../src/node/engine/install-cuda.js';
import { onnxruntimeLibDir } from '../../../../src/node/engine/providers.js';

/** A minimal 64-bit little-endian ELF header (no program headers) for `machine`, followed by `payload`. */
function fakeElf(machine: number, payload: string): Buffer {
  const head = Buffer.alloc(64);
  head.writeUInt32BE(0x7f454c46, 0);
  head[4] = 2; // 64-bit
  head[5] = 1; // little-endian
  head[6] = 1;
  head.writeUInt16LE(3, 0x10); // ET_DYN
  head.writeUInt16LE(machine, 0x12);
  head.writeUInt16LE(56, 0x36);
  return Buffer.concat([head, Buffer.from(payload, 'latin1')]);
}

function stage(t: { after: (fn: () => void) => void }, version: string, machine = 62) {
  const root = mkdtempSync(join(tmpdir(), 'anadiff-cudainst-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const plugins = join(root, 'src', 'package', 'Plugins', 'Linux', 'x64');
  mkdirSync(plugins, { recursive: true });
  writeFileSync(join(plugins, 'libonnxruntime_providers_shared.so'), fakeElf(machine, 'shared'));
  writeFileSync(join(plugins, 'libonnxruntime_providers_cuda.so'), fakeElf(machine, `kernels\0${version}\0more`));
  const libDir = join(root, 'lib');
  mkdirSync(libDir);
  return { root, source: join(root, 'src'), libDir };
}

test('installs the provider pair from a folder or a .tgz, idempotently, with a marker', (t) => {
  const { root, source, libDir } = stage(t, '1.29.0');
  const tgz = join(root, 'gpu.tgz');
  execFileSync('tar', ['-czf', tgz, '-C', source, 'package']);
  const first = installCudaProviders(tgz, { libDir, version: '1.29.0' });
  assert.deepEqual(first.files.map((f) => f.action).sort(), ['copied', 'copied']);
  assert.ok(existsSync(join(libDir, 'libonnxruntime_providers_cuda.so')));
  assert.equal((JSON.parse(readFileSync(join(libDir, cudaMarkerFile), 'utf8')) as { onnxruntimeVersion: string }).onnxruntimeVersion, '1.29.0');
  const again = installCudaProviders(source, { libDir, version: '1.29.0' });
  assert.deepEqual(again.files.map((f) => f.action), ['unchanged', 'unchanged']);
});

test('refuses a provider built for another onnxruntime, another CPU, or replacing a different file', (t) => {
  const wrongVersion = stage(t, '1.22.0');
  assert.throws(() => installCudaProviders(wrongVersion.source, { libDir: wrongVersion.libDir, version: '1.29.0' }), /does not contain the version string 1\.29\.0/);
  assert.ok(!existsSync(join(wrongVersion.libDir, 'libonnxruntime_providers_cuda.so')), 'nothing copied');

  const arm = stage(t, '1.29.0', 183);
  if (process.arch === 'x64') assert.throws(() => installCudaProviders(arm.source, { libDir: arm.libDir, version: '1.29.0' }), /ELF machine 183/);

  const ok = stage(t, '1.29.0');
  writeFileSync(join(ok.libDir, 'libonnxruntime_providers_shared.so'), 'something else');
  assert.throws(() => installCudaProviders(ok.source, { libDir: ok.libDir, version: '1.29.0' }), InstallCudaError);
  assert.equal(readFileSync(join(ok.libDir, 'libonnxruntime_providers_shared.so'), 'utf8'), 'something else', 'not overwritten');
  const forced = installCudaProviders(ok.source, { libDir: ok.libDir, version: '1.29.0', force: true });
  assert.ok(forced.files.some((f) => f.action === 'replaced'));

  assert.throws(() => installCudaProviders(join(ok.root, 'nope'), { libDir: ok.libDir }), /does not exist/);
  mkdirSync(join(ok.root, 'empty'));
  assert.throws(() => installCudaProviders(join(ok.root, 'empty'), { libDir: ok.libDir }), /lacks libonnxruntime_providers_shared\.so/);
});

test('reads DT_NEEDED of a real shared library (onnxruntime itself)', () => {
  const libDir = onnxruntimeLibDir();
  if (!libDir || process.platform !== 'linux') return;
  const info = readElfInfo(join(libDir, 'libonnxruntime.so.1'));
  assert.equal(info.machine, process.arch === 'x64' ? 62 : 183);
  assert.ok(info.needed.includes('libc.so.6'), info.needed.join(','));
});
