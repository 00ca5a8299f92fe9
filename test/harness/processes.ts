// Nothing the harness starts may outlive it. Every child runs in its own process group (so the
// extension host, file watchers and pty hosts it spawns go with it) and registers a synchronous
// kill here; `killAll` runs on normal exit, on errors, and on SIGINT/SIGTERM/SIGHUP.
const groups = new Set<number>();
let signalsHooked = false;

export function trackProcessGroup(pid: number): void {
  groups.add(pid);
  hookSignals();
}

/** SIGTERM, then (after `graceMs`) SIGKILL to the whole group; resolves when the leader is gone. */
export async function killProcessGroup(pid: number, graceMs = 3000): Promise<void> {
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  // The leader may be gone while children of the group linger: SIGKILL the group regardless.
  signalGroup(pid, 'SIGKILL');
  groups.delete(pid);
}

/** Synchronous last resort (signal handlers and `exit` cannot await). */
export function killAll(): void {
  for (const pid of groups) signalGroup(pid, 'SIGKILL');
  groups.clear();
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pid, signal); } catch { /* group already gone */ }
}

function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.error(`\nharness: ${signal}, stopping code-server and the browser`);
      killAll();
      // process.exit runs Playwright's own exit hook, which kills the Chromium it launched.
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}
