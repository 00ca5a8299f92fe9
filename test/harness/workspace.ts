// The sample workspace used by `npm start` (.sample/) and by the tests (.cache/test-runs/run-<pid>/workspace/):
// the project's own generated phantom (always) plus the real example CT when ../shared/data exists.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot, sharedDataDir } from './paths.js';

export interface WorkspaceFiles {
  readonly phantomCt: string | undefined;
  readonly phantomSeg: string | undefined;
  readonly exampleCt: string | undefined;
  readonly exampleSeg: string | undefined;
}

export interface SampleWorkspace {
  readonly dir: string;
  readonly hasSharedData: boolean;
  readonly files: WorkspaceFiles;
}

const sharedFiles = {
  exampleCt: 'example_ct.nii.gz',
  exampleSeg: 'example_ct_btcv13_from_totalseg_fast.nii.gz',
} as const;
const phantomFiles = { phantomCt: 'phantom_ct.nii.gz', phantomSeg: 'phantom_ct_seg.nii.gz' } as const;

/**
 * Fills `dir` with the sample volumes. `fresh` empties it first (tests); otherwise existing files are
 * kept and the phantom is generated only when missing (npm start stays fast on re-runs).
 */
export function prepareWorkspace(dir: string, options: { fresh: boolean }): SampleWorkspace {
  if (options.fresh) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const at = (name: string): string | undefined => (existsSync(path.join(dir, name)) ? path.join(dir, name) : undefined);

  if (!at(phantomFiles.phantomCt) || !at(phantomFiles.phantomSeg)) generatePhantom(dir);

  const totalseg = path.join(sharedDataDir, 'totalsegmentator');
  const hasSharedData = existsSync(path.join(totalseg, sharedFiles.exampleCt));
  if (hasSharedData) {
    for (const name of Object.values(sharedFiles)) linkInto(path.join(totalseg, name), path.join(dir, name));
  } else {
    console.log(`workspace: ${sharedDataDir} absent; only the generated phantom is in ${dir}`);
  }
  return {
    dir,
    hasSharedData,
    files: {
      phantomCt: at(phantomFiles.phantomCt),
      phantomSeg: at(phantomFiles.phantomSeg),
      exampleCt: hasSharedData ? at(sharedFiles.exampleCt) : undefined,
      exampleSeg: hasSharedData ? at(sharedFiles.exampleSeg) : undefined,
    },
  };
}

function linkInto(target: string, link: string): void {
  try { lstatSync(link); return; } catch { /* absent: create */ }
  if (existsSync(target)) symlinkSync(target, link);
}

/** Runs `anadiff sample` (the project's phantom generator); says so and goes on when it does not exist yet. */
function generatePhantom(dir: string): void {
  const cli = path.join(repoRoot, 'dist', 'cli.js');
  if (!existsSync(cli)) {
    console.log('workspace: dist/cli.js missing (run `npm run build`); no phantom generated');
    return;
  }
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'anadiff.js'), 'sample', '--out', dir], { encoding: 'utf8' });
  if (r.status === 0) {
    console.log(`workspace: generated the phantom in ${dir}`);
    return;
  }
  const stderr = (r.stderr ?? '').trim();
  if (stderr.includes('unknown command')) console.log('workspace: `anadiff sample` is not available yet; no phantom generated');
  else console.log(`workspace: \`anadiff sample --out ${dir}\` failed (exit ${r.status}): ${stderr.split('\n')[0] ?? ''}`);
}
