import { parseArgs } from 'node:util';
import { PHASES, type ClassVocabulary, type Phase } from '../../core/synth/index.js';
import { checkInputFile, checkOutputFolder } from '../../node/io/output-path.js';
import { writeSynthCases } from '../../node/synth/generate-files.js';
import { UsageError, type CliCommand } from '../command.js';

const usage = `usage: anadiff synth --labels L.nii.gz --n N --out DIR [--seed S] [--classes-from totalseg|btcv]
                     [--phase native|arterial|portal] [--start I] [--overwrite]

Generates N synthetic CTs with exact labels from one label map (SynthSeg-style): random affine and elastic
deformations, per-tissue HU drawn for a contrast phase (drawn per case unless --phase), textured noise,
partial-volume blur, random slice thickness (1.5-5 mm) and a bias field. Writes per case i:
  DIR/synth_XXXX_ct.nii.gz   int16 HU      DIR/synth_XXXX_seg.nii.gz   uint8 BTCV-13 labels
  DIR/synth_XXXX.json        the drawn parameters
  DIR/synth_XXXX_coords.nii.gz  float32, 3 frames: per voxel the point (RAS mm) of the source label map the
                             deformation maps it to (the generator's exact body-part coordinates, for
                             \`anadiff pretrain --method guided --coords oracle\`; case listings skip these files)
--classes-from names the input ids: TotalSegmentator v2 "total" (finer tissues: bones, muscles, lungs, bowel)
or BTCV-13; by default totalseg when an id above 13 is present. Cases already complete are kept unless
--overwrite, so an interrupted run resumes. --seed defaults to 1; case i depends only on (labels, seed, i).`;

export const synthCommand: CliCommand = {
  name: 'synth',
  summary: 'generate synthetic CTs with exact BTCV-13 labels from a label map',
  usage,
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        labels: { type: 'string' }, n: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' },
        'classes-from': { type: 'string' }, phase: { type: 'string' }, start: { type: 'string' }, overwrite: { type: 'boolean' },
      },
    });
    if (!values.labels) throw new UsageError(`--labels L.nii.gz is required\n${usage}`);
    if (!values.out) throw new UsageError(`--out DIR is required\n${usage}`);
    const count = integerOption('--n', values.n, undefined, 1);
    const seed = integerOption('--seed', values.seed, 1, 0);
    const start = integerOption('--start', values.start, 0, 0);
    const classesFrom = values['classes-from'];
    if (classesFrom !== undefined && classesFrom !== 'totalseg' && classesFrom !== 'btcv') {
      throw new UsageError(`--classes-from must be totalseg or btcv, got ${classesFrom}`);
    }
    const phase = values.phase;
    if (phase !== undefined && !(PHASES as readonly string[]).includes(phase)) throw new UsageError(`--phase must be one of ${PHASES.join(', ')}, got ${phase}`);
    checkInputFile(values.labels, '--labels');
    checkOutputFolder(values.out, '--out');
    const t0 = performance.now();
    const reports = await writeSynthCases({
      labelsPath: values.labels, outDir: values.out, count, seed, start, overwrite: values.overwrite ?? false,
      ...(classesFrom ? { vocabulary: classesFrom as ClassVocabulary } : {}),
      ...(phase ? { phase: phase as Phase } : {}),
      onCase: (r) => {
        const what = r.kept ? 'kept existing' : `${r.dims.join('x')} ${r.phase}, ${(r.synthMs / 1000).toFixed(2)} s synth, ${(r.totalMs / 1000).toFixed(2)} s total`;
        console.log(`[${r.index - start + 1}/${count}] ${r.imagePath}: ${what}`);
      },
    });
    const made = reports.filter((r) => !r.kept).length;
    console.log(`wrote ${made} case(s), kept ${reports.length - made}, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return 0;
  },
};

function integerOption(name: string, raw: string | undefined, fallback: number | undefined, min: number): number {
  if (raw === undefined) {
    if (fallback === undefined) throw new UsageError(`${name} is required\n${usage}`);
    return fallback;
  }
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < min) throw new UsageError(`${name} must be an integer >= ${min}, got ${raw}`);
  return v;
}
