/** One CLI subcommand. `run` returns the process exit code; errors thrown are printed as one line by main. */
export interface CliCommand {
  /** Words after `anadiff`, e.g. `info` or `bench nifti`. */
  readonly name: string;
  readonly summary: string;
  /** Full `--help` text. */
  readonly usage: string;
  run(argv: readonly string[]): Promise<number>;
}

/**
 * The exit codes, one rule for every command (README, "Exit codes"): 0 success; 1 the input, a file or the run
 * failed (bad data, unwritable output, a model that is not ONNX); 2 the command line itself is wrong (unknown
 * command or option, a missing required flag, a flag value of the wrong kind or out of range); 130 stopped by Ctrl-C.
 */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, interrupted: 130 });

/** A user-facing CLI failure: main prints `anadiff: <message>` and exits with `exitCode`. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failed) {
    super(message);
    this.name = 'CliError';
  }
}

/** The command line is wrong (exit 2): found before any file is read or any model loaded. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

/** The exit code for an error that reached main: CliError's own, node:util parseArgs's rejections are usage errors. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) return EXIT.usage;
  return EXIT.failed;
}
