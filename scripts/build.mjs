// Bundles every entry point with esbuild. `node scripts/build.mjs [--production] [--watch]`.
// Entry points are listed once here; the extension host, workers and CLI run on Node (cjs),
// the webview runs in the browser (iife). `vscode` and onnxruntime-node stay external:
// the first is provided by the editor, the second ships native binaries that cannot be bundled.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const nodeEntries = {
  extension: 'src/extension/extension.ts',
  cli: 'src/cli/main.ts',
  'worker-viewer-decode': 'src/node/viewer/decode-worker.ts',
  'test-integration': 'test/integration/index.ts',
};
const webEntries = {
  viewer: 'webview/viewer/main.ts',
  monitor: 'webview/monitor/main.ts',
};

const present = (entries) => Object.fromEntries(Object.entries(entries).filter(([, file]) => existsSync(file)));

const builds = [
  {
    ...common,
    entryPoints: present(nodeEntries),
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'onnxruntime-node', 'onnxruntime-common', 'playwright-core', 'mocha'],
  },
  {
    ...common,
    entryPoints: present(webEntries),
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    loader: { '.css': 'text' },
  },
].filter((b) => Object.keys(b.entryPoints).length > 0);

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('esbuild: watching');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
