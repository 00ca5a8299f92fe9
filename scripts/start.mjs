// `npm start`: build, then code-server on 127.0.0.1 with AnaDiff and a sample workspace (.sample/:
// the generated phantom, plus the real example CT when ../shared/data exists), until Ctrl-C.
// Options: --port N (default 8080, or ANADIFF_PORT; a free port when busy). Logic: test/harness/start.ts.
import { spawn, spawnSync } from 'node:child_process';

const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.error('npm start: the build failed (see above)');
  process.exit(1);
}
const child = spawn(process.execPath, ['--import', 'tsx', 'test/harness/start.ts', ...process.argv.slice(2)], { stdio: 'inherit' });
// Ctrl-C reaches the child too (same process group); it stops code-server, then exits.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code) => process.exit(code ?? 0));
