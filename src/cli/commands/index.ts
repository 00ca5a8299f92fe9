import type { CliCommand } from '../command.js';
import { benchTrainCommand } from './bench-train.js';
import { benchLoweringCommand } from './bench-lowering.js';
import { benchNiftiCommand } from './bench-nifti.js';
import { doctorCommand } from './doctor.js';
import { infoCommand } from './info.js';
import { sampleCommand } from './sample.js';

/** Every subcommand, in the order `anadiff --help` lists them. Add a command by adding it here. */
export const commands: readonly CliCommand[] = [benchTrainCommand, infoCommand, sampleCommand, benchNiftiCommand, doctorCommand, benchLoweringCommand];
