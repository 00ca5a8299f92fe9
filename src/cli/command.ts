/** One CLI subcommand. `run` returns the process exit code; errors thrown are printed as one line by main. */
export interface CliCommand {
  /** Words after `anadiff`, e.g. `info` or `bench nifti`. */
  readonly name: string;
  readonly summary: string;
  /** Full `--help` text. */
  readonly usage: string;
  run(argv: readonly string[]): Promise<number>;
}

/** A user-facing CLI failure: main prints `anadiff: <message>` and exits with `exitCode`. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}
