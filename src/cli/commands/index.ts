import type { CliCommand } from '../command.js';
import { benchTrainCommand } from './bench-train.js';
import { benchLoweringCommand } from './bench-lowering.js';
import { benchNiftiCommand } from './bench-nifti.js';
import { doctorCommand } from './doctor.js';
import { gpuCheckCommand } from './gpu-check.js';
import { infoCommand } from './info.js';
import { sampleCommand } from './sample.js';
import { segmentCommand } from './segment.js';
import { evaluateCommand } from './evaluate.js';
import { benchInferCommand } from './bench-infer.js';
import { benchConvCommand } from './bench-conv.js';
import { synthCommand } from './synth.js';
import { trainCommand } from './train.js';
import { protocolCommand } from './protocol.js';
import { benchPreprocessCommand } from './bench-preprocess.js';
import { submitCommand } from './submit.js';
import { runsCancelCommand, runsCommand } from './runs.js';
import { coordsMatchCommand, coordsPredictCommand, coordsTrainCommand } from './coords.js';
import { pretrainCommand } from './pretrain.js';
import { benchPretrainCommand } from './bench-pretrain.js';
import { compareCommand } from './compare.js';

/** Every subcommand, in the order `anadiff --help` lists them. Add a command by adding it here. */
export const commands: readonly CliCommand[] = [benchTrainCommand, infoCommand, sampleCommand, synthCommand, benchNiftiCommand, doctorCommand, gpuCheckCommand, benchLoweringCommand, segmentCommand, evaluateCommand, benchInferCommand, benchConvCommand, benchPretrainCommand, trainCommand, protocolCommand, benchPreprocessCommand, submitCommand, runsCommand, runsCancelCommand, coordsTrainCommand, coordsPredictCommand, coordsMatchCommand, pretrainCommand, compareCommand];
