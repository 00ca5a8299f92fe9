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
// No public repository URL exists to rewrite README links against: the README's relative image links stay
// relative and resolve inside the installed extension (docs/images/ is packaged for them).
run(process.execPath, [...vsce, 'package', '--target', target, '--out', tmp, '--allow-missing-repository', '--skip-license',
  '--no-rewrite-relative-links']);

const listing = zipEntryNames(readFileSync(tmp));
const has = (pattern) => listing.some((f) => pattern.test(f));
const problems = [];
if (!has(/onnxruntime-node\/bin\/napi-v6\/linux\/x64\/onnxruntime_binding\.node$/)) problems.push('the linux-x64 onnxruntime binding is missing');
if (has(/napi-v6\/(darwin|win32)\/|napi-v6\/linux\/arm64\//)) problems.push("another platform's onnxruntime binaries are included");
if (!has(/^extension\/dist\/extension\.js$/)) problems.push('dist/extension.js is missing');
// The editor runs every job through the bundled CLI (src/extension/jobs/cli-child.ts).
if (!has(/^extension\/dist\/cli\.js$/)) problems.push('dist/cli.js (the jobs the editor starts) is missing');
// The run monitor's webview bundle and stylesheet, the activity-bar icon of the Runs view, and the compare config's
// JSON schema (contributes.jsonValidation).
for (const f of ['dist/webview/monitor.js', 'media/monitor.css', 'media/anadiff-activity.svg', 'schemas/compare-config.schema.json', 'schemas/job-train.schema.json', 'schemas/job-pretrain.schema.json', 'schemas/job-coords.schema.json']) {
  if (!has(new RegExp(`^extension/${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`))) problems.push(`${f} is missing`);
}
for (const f of ['model.onnx', 'model.json']) {
  if (!has(new RegExp(`^extension/models/default/${f.replace('.', '\\.')}$`))) problems.push(`the default model's ${f} is missing`);
}
for (const image of readmeImages()) {
  if (!has(new RegExp(`^extension/${image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`))) problems.push(`README image ${image} is missing`);
}
// Only what runs: onnxruntime-node's dist and binary and onnxruntime-common's CommonJS build.
const runtimePackages = new Set(['onnxruntime-node', 'onnxruntime-common']);
const extraPackages = [...new Set(listing.map((f) => f.match(/^extension\/node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1]).filter(Boolean))]
  .filter((name) => !runtimePackages.has(name));
if (extraPackages.length > 0) problems.push(`packages not needed at run time are included: ${extraPackages.join(', ')} (.vscodeignore)`);
const strays = listing.filter((f) => /^extension\/(src|test|scripts|webview|configs|\.cache|\.sample|test-results)\//.test(f));
if (strays.length > 0) problems.push(`development files are included (${strays.slice(0, 3).join(', ')}...)`);
if (problems.length > 0) {
  rmSync(tmp, { force: true });
  console.error(`package: ${problems.join('; ')}`);
  process.exit(1);
}
renameSync(tmp, out);
const mb = (statSync(out).size / 1e6).toFixed(1);
console.log(`${out}: ${mb} MB, ${listing.length} files, ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (!existsSync('README.md')) console.log('note: README.md is missing; the Marketplace page will be empty');

/** Relative image paths the README shows (they must ship, since links are not rewritten). */
function readmeImages() {
  const text = existsSync('README.md') ? readFileSync('README.md', 'utf8') : '';
  return [...text.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((p) => !/^[a-z]+:/i.test(p));
}

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
