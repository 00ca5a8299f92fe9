import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makePhantom } from '../../core/phantom/index.js';
import { checkOutputFolder } from '../../node/io/output-path.js';
import { writeNiftiFile } from '../../node/nifti/index.js';
import { UsageError, type CliCommand } from '../command.js';

export const SAMPLE_IMAGE = 'phantom_ct.nii.gz';
export const SAMPLE_LABELS = 'phantom_ct_seg.nii.gz';

const usage = `usage: anadiff sample --out DIR [--large] [--seed N] [--overwrite]

Writes a synthetic abdominal CT phantom and its BTCV-13 organ labels:
  DIR/${SAMPLE_IMAGE}      int16 Hounsfield units, LPS, 160x128x64 (--large: 512x512x300)
  DIR/${SAMPLE_LABELS}  uint8 labels on the same grid
Existing files are kept unless --overwrite is given.`;

export const sampleCommand: CliCommand = {
  name: 'sample',
  summary: 'write a CT-like phantom with organ labels (phantom_ct.nii.gz + phantom_ct_seg.nii.gz)',
  usage,
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: { out: { type: 'string' }, large: { type: 'boolean' }, seed: { type: 'string' }, overwrite: { type: 'boolean' } },
    });
    if (!values.out) throw new UsageError(`--out DIR is required\n${usage}`);
    const seed = values.seed === undefined ? 1 : Number(values.seed);
    if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got ${values.seed}`);
    const imagePath = join(values.out, SAMPLE_IMAGE);
    const labelPath = join(values.out, SAMPLE_LABELS);
    const exists = async (p: string) => stat(p).then(() => true, () => false);
    if (!values.overwrite && (await exists(imagePath)) && (await exists(labelPath))) {
      console.log(`kept existing ${imagePath} and ${labelPath} (--overwrite replaces them)`);
      return 0;
    }
    checkOutputFolder(values.out, '--out'); // a path that can never exist (/proc/x) hung in mkdir's recursion
    await mkdir(values.out, { recursive: true });
    const phantom = makePhantom({ size: values.large ? 'large' : 'small', seed });
    const overwrite = values.overwrite ?? false;
    // The large volume is a benchmark input: gzip level 1 keeps writing it quick; size matters less.
    const compressionLevel = values.large ? 1 : 6;
    await writeNiftiFile(imagePath, phantom.image, { overwrite, compressionLevel, description: phantom.description });
    await writeNiftiFile(labelPath, phantom.labels, { overwrite, description: `BTCV-13 labels for ${phantom.description}` });
    console.log(`wrote ${imagePath} and ${labelPath} (${phantom.image.dims.join('x')})`);
    return 0;
  },
};
