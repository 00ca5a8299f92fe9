import { CliError, UsageError, type CliCommand } from '../command.js';
import { formatDoctorReport, gatherDoctorReport } from '../../node/engine/doctor.js';
import { InstallCudaError, installCudaProviders } from '../../node/engine/install-cuda.js';

const usage = `usage: anadiff doctor [--json] [--no-session-check]
       anadiff doctor --install-cuda <folder-or-.tgz> [--lib-dir <dir>] [--force]

Prints what the training engine can use here: node and onnxruntime-node versions, CPU features, threads, execution
providers, and for CUDA what is missing and how to get it (provider libraries, CUDA 13 / cuDNN 9 libraries, the
LD_LIBRARY_PATH that would make pip's nvidia-* libraries visible). Creates a tiny CUDA session when the provider
libraries are present (--no-session-check skips that).

--install-cuda copies libonnxruntime_providers_{shared,cuda}.so from a folder or a .tgz (e.g. the npm package
com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9, which holds ORT 1.29.0's CUDA 13 providers) next to
libonnxruntime.so.1, after checking they are built for this onnxruntime version. --force replaces different
existing files and skips the version check.`;

function valueOf(argv: readonly string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
  return v;
}

export const doctorCommand: CliCommand = {
  name: 'doctor',
  summary: 'check versions, CPU, threads and CUDA for the training engine; install CUDA providers',
  usage,
  async run(argv) {
    const known = new Set(['--json', '--no-session-check', '--install-cuda', '--lib-dir', '--force']);
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (!known.has(a)) throw new UsageError(`doctor: unknown option ${a}\n${usage}`);
      if (a === '--install-cuda' || a === '--lib-dir') i++;
    }
    const json = argv.includes('--json');
    const source = valueOf(argv, '--install-cuda');
    if (source !== undefined) {
      const libDir = valueOf(argv, '--lib-dir');
      try {
        const result = installCudaProviders(source, { ...(libDir ? { libDir } : {}), force: argv.includes('--force') });
        if (json) console.log(JSON.stringify(result));
        else {
          for (const f of result.files) console.log(`${f.action.padEnd(9)} ${f.name} (${(f.bytes / 1e6).toFixed(1)} MB) -> ${result.libDir}`);
          console.log(`CUDA providers for onnxruntime ${result.onnxruntimeVersion} installed; run \`anadiff doctor\` to check the CUDA libraries.`);
        }
        return 0;
      } catch (e) {
        if (e instanceof InstallCudaError) throw new CliError(e.message);
        throw e;
      }
    }
    const report = await gatherDoctorReport({ sessionCheck: !argv.includes('--no-session-check') });
    console.log(json ? JSON.stringify(report, null, 2) : formatDoctorReport(report));
    return 0;
  },
};
