// `npm run package`: anadiff-linux-x64.vsix with @vscode/vsce, offline. Builds the production bundles,
// packages with --target linux-x64 (.vscodeignore leaves out other platforms' onnxruntime binaries),
// then checks that the package holds the linux-x64 onnxruntime binary and no other platform's.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';

const target = 'linux-x64';
const out = `anadiff-${target}.vsix`;
const started = Date.now();

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) {
    process.stdout.write(r.stdout ?? '');
    console.error(`package: \`${cmd} ${args.join(' ')}\` failed (exit ${r.status})`);
    process.exit(1);
  }
  return r.stdout ?? '';
}

const vsce = ['node_modules/@vscode/vsce/vsce'];
run(process.execPath, ['scripts/build.mjs', '--production']);
const tmp = `${out}.tmp.vsix`;
rmSync(tmp, { force: true });
run(process.execPath, [...vsce, 'package', '--target', target, '--out', tmp, '--allow-missing-repository', '--skip-license']);

const listing = zipEntryNames(readFileSync(tmp));
const has = (pattern) => listing.some((f) => pattern.test(f));
const problems = [];
if (!has(/onnxruntime-node\/bin\/napi-v6\/linux\/x64\/onnxruntime_binding\.node$/)) problems.push('the linux-x64 onnxruntime binding is missing');
if (has(/napi-v6\/(darwin|win32)\/|napi-v6\/linux\/arm64\//)) problems.push("another platform's onnxruntime binaries are included");
if (!has(/^extension\/dist\/extension\.js$/)) problems.push('dist/extension.js is missing');
if (problems.length > 0) {
  rmSync(tmp, { force: true });
  console.error(`package: ${problems.join('; ')}`);
  process.exit(1);
}
renameSync(tmp, out);
const mb = (statSync(out).size / 1e6).toFixed(1);
console.log(`${out}: ${mb} MB, ${listing.length} files, ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (!existsSync('README.md')) console.log('note: README.md is missing; the Marketplace page will be empty');

/** Entry names from a zip's central directory (no unzip binary on a bare CI image). */
function zipEntryNames(zip) {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error(`${tmp} is not a zip file`);
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const names = [];
  for (let i = 0; i < count; i += 1) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`${tmp}: bad central directory entry ${i}`);
    const nameLength = zip.readUInt16LE(at + 28);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return names;
}
