/**
 * Where the CUDA libraries the onnxruntime CUDA provider needs are, and whether the dynamic loader will find them.
 * "Visible" = in LD_LIBRARY_PATH, the ldconfig cache or the default folders. "Found elsewhere" = in a CUDA toolkit or in
 * pip's nvidia-* wheels (site-packages/nvidia/<pkg>/lib, e.g. what PyTorch installs), which the loader does not search:
 * those need their folder added to LD_LIBRARY_PATH.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The ORT 1.29 CUDA 13 provider's needs when its file is not there to read: its DT_NEEDED CUDA libraries plus cuDNN 9 (opened at run time). */
export const expectedCudaLibraries = [
  'libcudart.so.13', 'libcublas.so.13', 'libcublasLt.so.13', 'libcurand.so.10', 'libcuda.so.1', 'libcudnn.so.9',
] as const;

export interface LibraryLocation {
  readonly name: string;
  /** Where the loader would find it. */
  readonly visibleAt?: string;
  /** Where it exists though the loader would not look (add the folder to LD_LIBRARY_PATH). */
  readonly foundAt?: string;
}

const defaultDirs = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu'];

function ldconfigCache(): Map<string, string> {
  const out = new Map<string, string>();
  for (const bin of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    try {
      const text = execFileSync(bin, ['-p'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
      for (const line of text.split('\n')) {
        const m = /^\s*(\S+) \(([^)]*)\) => (\S+)$/.exec(line);
        if (m && m[2]?.includes(process.arch === 'arm64' ? 'AArch64' : 'x86-64') && !out.has(m[1]!)) out.set(m[1]!, m[3]!);
      }
      return out;
    } catch {
      // try the next location of ldconfig
    }
  }
  return out;
}

/** Python site-packages folders worth searching for pip's nvidia-* wheels. */
function sitePackagesDirs(): string[] {
  const roots = new Set<string>();
  const addGlob = (base: string, inner: string) => {
    if (!existsSync(base)) return;
    for (const d of safeList(base)) if (/^python3(\.\d+)?$/.test(d)) roots.add(join(base, d, inner));
  };
  for (const prefix of ['/usr/local/lib', '/usr/lib', join(homedir(), '.local/lib'), '/opt/conda/lib']) {
    addGlob(prefix, 'dist-packages');
    addGlob(prefix, 'site-packages');
  }
  for (const env of [process.env.VIRTUAL_ENV, process.env.CONDA_PREFIX]) if (env) addGlob(join(env, 'lib'), 'site-packages');
  for (const py of ['python3', 'python']) {
    try {
      const text = execFileSync(py, ['-c', 'import site,sys;print("\\n".join(site.getsitepackages()+[site.getusersitepackages()]))'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
      for (const line of text.split('\n')) if (line.trim()) roots.add(line.trim());
    } catch {
      // no such interpreter
    }
  }
  return [...roots].filter((d) => existsSync(d));
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Folders that may hold CUDA libraries outside the loader's search path. */
export function cudaCandidateDirs(): string[] {
  const dirs: string[] = [];
  for (const d of safeList('/usr/local')) {
    if (/^cuda(-[\d.]+)?$/.test(d)) dirs.push(join('/usr/local', d, 'lib64'), join('/usr/local', d, 'targets/x86_64-linux/lib'));
  }
  for (const site of sitePackagesDirs()) {
    const nvidia = join(site, 'nvidia');
    for (const pkg of safeList(nvidia)) dirs.push(join(nvidia, pkg, 'lib'));
  }
  return dirs.filter((d) => existsSync(d));
}

export function locateLibraries(names: readonly string[]): LibraryLocation[] {
  const loaderDirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean), ...defaultDirs];
  const cache = ldconfigCache();
  const candidates = cudaCandidateDirs();
  return names.map((name) => {
    const visibleDir = loaderDirs.find((d) => existsSync(join(d, name)));
    const visibleAt = visibleDir ? join(visibleDir, name) : cache.get(name);
    if (visibleAt) return { name, visibleAt };
    const foundDir = candidates.find((d) => existsSync(join(d, name)));
    return foundDir ? { name, foundAt: join(foundDir, name) } : { name };
  });
}

/** The LD_LIBRARY_PATH that would make every found-but-invisible library visible, or undefined if none needs it. */
export function suggestedLdLibraryPath(locations: readonly LibraryLocation[]): string | undefined {
  const extra = [...new Set(locations.filter((l) => l.foundAt && !l.visibleAt).map((l) => l.foundAt!.slice(0, l.foundAt!.lastIndexOf('/'))))];
  if (extra.length === 0) return undefined;
  return [...extra, ...(process.env.LD_LIBRARY_PATH ? [process.env.LD_LIBRARY_PATH] : [])].join(delimiter);
}
