import type { CliCommand } from '../command.js';

/** Every subcommand, in the order `anadiff --help` lists them. Add a command by adding it here. */
export const commands: readonly CliCommand[] = [];
