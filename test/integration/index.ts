// Entry of the integration suite, bundled to dist/test-integration.js and loaded by VS Code's extension
// host through the `extensionTestsPath` contract (the same one @vscode/test-electron uses): the host
// calls `run()` and reports its settlement to the harness. See test/harness/README.md.
import Mocha from 'mocha';

/**
 * Every integration test file, registered by one line each. A thunk, not a static import: the file's
 * top-level `suite(...)` calls must run after mocha's TDD interface is installed (`pre-require`).
 */
const testFiles: Readonly<Record<string, () => unknown>> = {
  'activation.test.ts': () => require('./activation.test.js'),
  'viewer.test.ts': () => require('./viewer.test.js'),
};

/** Lines the harness looks for (test/harness/integration.ts): output before the start is workbench chatter. */
const startMarker = 'ANADIFF_INTEGRATION_START';
const resultMarker = 'ANADIFF_INTEGRATION_RESULT';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 30_000, reporter: 'spec' });
  const grep = process.env.ANADIFF_TEST_GREP;
  if (grep) mocha.grep(grep);
  for (const [name, load] of Object.entries(testFiles)) {
    mocha.suite.emit('pre-require', globalThis, name, mocha);
    load();
    mocha.suite.emit('post-require', globalThis, name, mocha);
  }
  console.log(startMarker);
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const counts = { passed: runner.stats?.passes ?? 0, failed: runner.stats?.failures ?? failures, skipped: runner.stats?.pending ?? 0 };
      console.log(`${resultMarker} ${JSON.stringify(counts)}`);
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
  });
}
