// The one test command (`npm test`). Stages, in order:
//   system   installs the Debian packages the reference tests need (nibabel, PyTorch, scikit-learn, Chromium)
//   build    bundles everything (the integration tests run the bundles)
//   types    tsc --noEmit over src, test and webview
//   unit     node:test over test/unit, test/reference and test/system (plain Node, no editor; system: real Slurm daemons)
//   vscode   integration tests in a real VS Code extension host and UI end-to-end tests (code-server + Chromium)
// `node scripts/test.mjs unit` runs only the named stages. Ends with one line `N passed, M failed[, K skipped]`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const allStages = ['system', 'build', 'types', 'unit', 'vscode'];
const asked = process.argv.slice(2);
const stages = asked.length ? asked : allStages;
const totals = { passed: 0, failed: 0, skipped: 0 };
mkdirSync('test-results', { recursive: true });

function run(cmd, args, opts = {}) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

function stageStep(name, ok) {
  if (ok) totals.passed += 1;
  else {
    totals.failed += 1;
    console.error(`stage ${name} FAILED`);
  }
}

function findTests(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (entry.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

function countTap(file) {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const num = (key) => Number(text.match(new RegExp(`^# ${key} (\\d+)$`, 'm'))?.[1] ?? 0);
  return { passed: num('pass'), failed: num('fail') + num('cancelled'), skipped: num('skipped') + num('todo') };
}

for (const stage of stages) {
  switch (stage) {
    case 'system':
      stageStep(stage, run('bash', ['scripts/setup-system.sh']) === 0);
      break;
    case 'build':
      stageStep(stage, run('node', ['scripts/build.mjs']) === 0);
      break;
    case 'types':
      stageStep(stage, run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']) === 0 &&
        run('npx', ['tsc', '-p', 'webview/tsconfig.json', '--noEmit']) === 0);
      break;
    case 'unit': {
      const files = [...findTests('test/unit'), ...findTests('test/reference'), ...findTests('test/system')];
      const tap = 'test-results/unit.tap';
      const status = run('node', ['--import', 'tsx', '--test', '--test-concurrency=2',
        '--test-reporter=spec', '--test-reporter-destination=stdout',
        '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files]);
      const c = countTap(tap);
      totals.passed += c.passed; totals.failed += c.failed; totals.skipped += c.skipped;
      if (status !== 0 && c.failed === 0) stageStep(stage, false);
      break;
    }
    case 'vscode': {
      const harness = 'test/harness/run-vscode.mjs';
      if (!existsSync(harness)) { console.log('vscode stage: no harness yet'); break; }
      const summary = 'test-results/vscode-summary.json';
      const status = run('node', [harness, '--summary', summary]);
      if (existsSync(summary)) {
        const c = JSON.parse(readFileSync(summary, 'utf8'));
        totals.passed += c.passed; totals.failed += c.failed; totals.skipped += c.skipped ?? 0;
      }
      if (status !== 0 && !(existsSync(summary) && JSON.parse(readFileSync(summary, 'utf8')).failed > 0)) stageStep(stage, false);
      break;
    }
    default:
      console.error(`unknown stage ${stage}; known: ${allStages.join(', ')}`);
      process.exit(2);
  }
}

console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
