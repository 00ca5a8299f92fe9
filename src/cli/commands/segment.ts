/** `anadiff segment`: a CT in, a label map aligned with it out (src/node/segment). */
import { maxThreads } from '../../node/engine/providers.js';
import { PathCheckError } from '../../node/io/output-path.js';
import { ModelMetadataError } from '../../node/segment/model-metadata.js';
import { segmentFile } from '../../node/segment/segment-file.js';
import { SegmentError } from '../../node/segment/segment-volume.js';
import { CliError, UsageError, type CliCommand } from '../command.js';
import { choiceFlag, jsonProgressPrinter, numberFlag, parseFlags, progressPrinter } from './segment-flags.js';

const usage = `usage: anadiff segment --input CT.nii.gz --output SEG.nii.gz [options]

Segments a CT with a trained model: the training preprocessing (RAS, body crop, resampling, HU window), sliding-window
inference, body mask, threshold (sigmoid models) or argmax (softmax models), then the labels are put back on the
CT's own grid and written as a uint8 NIfTI with the CT's affine and shape.

  --model RUN_DIR|MODEL.onnx  a training run folder (its model.onnx) or an .onnx file
                              (default: models/default/model.onnx)
  --device cpu|cuda           onnxruntime provider (default: CUDA when it works, else CPU)
  --threads N                 intra-op threads (default: every core)
  --overlap F                 window overlap in [0, 1) (default 0.25, as MONAI; vox2vec's protocol uses 0.5)
  --blend gaussian|centre     how overlapping windows are combined (default gaussian)
  --batch N                   windows per network call (default 1)
  --threshold T               sigmoid models: class probability threshold (default 0.5)
  --argmax                    softmax models: most probable channel (the default for them)
  --all-components            keep every connected piece of each organ (default: only the largest, as nnU-Net's
                              post-processing; islands far from the organ are false positives)
  --overwrite                 replace an existing output file (never the input)
  --force                     segment an input that does not look like a 3-D CT (2-D, 4-D, NaN/Inf voxels, a label
                              map, intensities that are not Hounsfield units) instead of refusing it
  --json                      print a JSON summary instead of text (per-organ voxels, mL, mean HU and confidence,
                              and the input warnings)
  --progress-json             progress as one JSON line per window on stderr ({"type":"progress",...}), for the editor

Warnings (stderr lines \`segment: warning: ...\`, \`warnings\` in --json) say when the input lies outside what the model
was trained on (a thin slab, spacing, little or no body, intensities unlike CT); it is segmented anyway. An organ's
confidence is the model's mean predicted probability over its voxels: low means unsure; it is not a calibrated
probability of being right.

SIGTERM or SIGINT stop it between two windows; nothing is written then (the output appears only when complete).`;

export const segmentCommand: CliCommand = {
  name: 'segment',
  summary: 'segment a CT with a trained model (sliding window), write a label map aligned with it',
  usage,
  async run(argv) {
    const c = 'segment';
    const flags = parseFlags(c, argv, { values: ['model', 'input', 'output', 'device', 'threads', 'overlap', 'blend', 'batch', 'threshold'], switches: ['argmax', 'overwrite', 'json', 'all-components', 'force', 'progress-json'] }, usage);
    const input = flags.values.input, output = flags.values.output;
    if (!input || !output) throw new UsageError(`segment: --input and --output are required\n${usage}`);
    const threshold = numberFlag(c, flags, 'threshold', (n) => n > 0 && n < 1, 'in (0, 1)');
    if (threshold !== undefined && flags.switches.has('argmax')) throw new UsageError('segment: --threshold and --argmax exclude each other');
    const threads = numberFlag(c, flags, 'threads', (n) => Number.isInteger(n) && n >= 1 && n <= maxThreads(), `an integer in 1..${maxThreads()} (4 per core)`);
    const overlap = numberFlag(c, flags, 'overlap', (n) => n >= 0 && n < 1, 'in [0, 1)');
    const batchSize = numberFlag(c, flags, 'batch', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1');
    const blend = choiceFlag(c, flags, 'blend', ['gaussian', 'centre'] as const);
    const device = choiceFlag(c, flags, 'device', ['cpu', 'cuda'] as const);
    const json = flags.switches.has('json');
    // A stop request ends the run at the next window: the output file is written only at the very end, atomically.
    const cancel = new AbortController();
    const stop = (): void => cancel.abort();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    try {
      const result = await segmentFile({
        input, output, overwrite: flags.switches.has('overwrite'), force: flags.switches.has('force'),
        ...(flags.values.model !== undefined ? { model: flags.values.model } : {}),
        ...(device ? { device } : {}), ...(threads !== undefined ? { threads } : {}), ...(overlap !== undefined ? { overlap } : {}),
        ...(blend ? { blend } : {}), ...(batchSize !== undefined ? { batchSize } : {}),
        ...(flags.switches.has('all-components') ? { largestComponent: false } : {}),
        ...(threshold !== undefined ? { decision: { kind: 'threshold', threshold } as const } : flags.switches.has('argmax') ? { decision: { kind: 'argmax' } as const } : {}),
        onProgress: flags.switches.has('progress-json') ? jsonProgressPrinter('window') : progressPrinter('segment'),
        signal: cancel.signal,
        onLog: (m) => process.stderr.write(`segment: ${m}\n`),
        onWarning: (m) => process.stderr.write(`segment: warning: ${m}\n`),
      });
      if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        const labels = Object.entries(result.counts).filter(([v]) => v !== '0').map(([v, n]) => `${v}:${n}`).join(' ') || 'none';
        process.stdout.write(`${output}: ${result.dims.join('x')} labels (voxels per label ${labels}); model ${result.model.onnxPath} (metadata from ${result.model.metadataSource}), ${result.provider}, ${result.windows} windows on ${result.workingDims.join('x')}${result.removedVoxels > 0 ? `, ${result.removedVoxels} island voxels removed` : ''}, ${(result.ms / 1000).toFixed(1)} s\n`);
        for (const o of result.organs) {
          const confidence = o.confidence === undefined ? '' : `, confidence ${o.confidence.toFixed(2)}`;
          process.stdout.write(`  ${o.label} ${o.name}: ${o.volumeMl.toFixed(1)} mL, mean ${o.meanValue.toFixed(0)} HU${confidence}\n`);
        }
        if (result.warnings.length > 0) process.stdout.write(`  ${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'} on stderr: the labels may be unreliable\n`);
      }
      return 0;
    } catch (e) {
      if (cancel.signal.aborted) throw new CliError(`segment: stopped; ${output} was not written`, 130);
      if (e instanceof SegmentError || e instanceof ModelMetadataError || e instanceof PathCheckError) throw new CliError(`segment: ${e.message}`);
      throw e;
    } finally {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    }
  },
};
