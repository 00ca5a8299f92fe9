// `npm run eval:default`: the default model's generalisation suite (src/node/segment/default-eval.ts): the full real
// subject-A CT, five slabs of it, and synthetic CTs from a label map no training case came from. Prints the table
// and stores it in models/default/report.json (`generalization`) and models/default/generalization.md.
// Options (after `--`): --reduced (CI's subset: the full scan and two slabs; nothing is written) --model M.onnx
// --work DIR --synthetic N --threads N
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runDefaultModelSuite, suiteMarkdown } from '../src/node/segment/default-eval.js';

const root = resolve(__dirname, '..');
const { values } = parseArgs({
  options: {
    reduced: { type: 'boolean' }, model: { type: 'string' }, work: { type: 'string' }, synthetic: { type: 'string' }, threads: { type: 'string' },
  },
});
const modelPath = resolve(values.model ?? join(root, 'models', 'default', 'model.onnx'));
async function main(): Promise<void> {
  const started = Date.now();
  const report = await runDefaultModelSuite({
    sharedData: resolve(root, '..', 'shared', 'data'),
    workDir: resolve(values.work ?? join(root, '.anadiff', 'eval-default')),
    model: modelPath,
    ...(values.reduced ? { reduced: true } : {}),
    ...(values.synthetic !== undefined ? { syntheticCases: Number(values.synthetic) } : {}),
    ...(values.threads !== undefined ? { threads: Number(values.threads) } : {}),
    onLog: (line) => console.error(line),
  });
  const table = suiteMarkdown(report);
  console.log(table);
  if (!values.reduced) {
    const dir = dirname(modelPath);
    const reportPath = join(dir, 'report.json');
    const previous = existsSync(reportPath) ? JSON.parse(readFileSync(reportPath, 'utf8')) : {};
    const generalization = { ...report, model: undefined, command: `npm run eval:default -- ${process.argv.slice(2).join(' ')}`.trim(), wallMinutes: Math.round((Date.now() - started) / 600) / 100, date: new Date().toISOString().slice(0, 10) };
    writeFileSync(`${reportPath}.tmp`, `${JSON.stringify({ ...previous, generalization }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
    renameSync(`${reportPath}.tmp`, reportPath);
    writeFileSync(join(dir, 'generalization.md'), table);
    console.error(`eval:default: wrote ${reportPath} and generalization.md`);
  }
}

main().catch((e: unknown) => {
  console.error(`eval:default: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
