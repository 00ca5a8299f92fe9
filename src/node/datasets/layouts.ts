import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Finds the cases of a dataset folder in one of the layouts researchers use:
 * - `msd`: a Medical Segmentation Decathlon / nnU-Net `dataset.json` (MSD's `training: [{image, label}]` list, or
 *   nnU-Net v2's `imagesTr/<case>_0000.nii.gz` + `labelsTr/<case>.nii.gz` with `file_ending`);
 * - `btcv`: `img/img0001.nii.gz` + `label/label0001.nii.gz`;
 * - `images-labels`: `imagesTr/` (+ `labelsTr/`) without a dataset.json, paired by case name;
 * - `pairs`: one folder of `<id>_ct.nii.gz` + `<id>_seg.nii.gz` (also `_img`/`_image` and `_label`/`_mask`);
 * - `unlabeled`: any folder of NIfTI files without labels (for pretraining).
 * Only paths are resolved here; nothing is decoded. Every inconsistency throws DatasetError naming the file.
 */

export type DatasetLayout = 'msd' | 'btcv' | 'images-labels' | 'pairs' | 'unlabeled';

export interface DatasetCase {
  readonly id: string;
  /** Absolute paths. */
  readonly image: string;
  readonly label?: string;
}

export interface Dataset {
  readonly root: string;
  readonly layout: DatasetLayout;
  /** Sorted by id. */
  readonly cases: readonly DatasetCase[];
  /** Class names from dataset.json (`labels`), id -> name, when the layout has them. */
  readonly classNames?: Readonly<Record<string, string>>;
}

export class DatasetError extends Error {
  constructor(message: string, readonly path: string) {
    super(`${path}: ${message}`);
    this.name = 'DatasetError';
  }
}

const NIFTI = /\.nii(\.gz)?$/;
const IMAGE_SUFFIXES = ['_ct', '_img', '_image', ''];
const LABEL_SUFFIX = /_(seg|label|labels|mask)$/;

const stripNifti = (name: string) => name.replace(NIFTI, '');
/** Per-voxel coordinate maps (`<case>_coords.nii.gz`, written by `anadiff synth`) are neither images nor labels. */
const COORDS_SUFFIX = '_coords';
const isNifti = (name: string) => NIFTI.test(name) && !name.startsWith('.') && !isCoordsMapName(name);

/** True for a coordinate map's file name (`synth_0000_coords.nii.gz`): every case listing skips it. */
export function isCoordsMapName(name: string): boolean {
  return NIFTI.test(name) && stripNifti(basename(name)).endsWith(COORDS_SUFFIX);
}

/** The oracle coordinate map next to a CT: `X_ct.nii.gz` (or `X.nii.gz`) -> `X_coords.nii.gz`, as `anadiff synth` writes it. */
export function coordsMapPathFor(imagePath: string): string {
  const stem = stripNifti(basename(imagePath)).replace(/_ct$/, '');
  return join(dirname(imagePath), `${stem}${COORDS_SUFFIX}.nii.gz`);
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

async function niftiFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter(isNifti).sort();
}

export async function openDataset(dir: string): Promise<Dataset> {
  const root = resolve(dir);
  if (!(await isDir(root))) throw new DatasetError('not a folder', root);
  let dataset: Dataset;
  if (await isFile(join(root, 'dataset.json'))) dataset = await openMsd(root);
  else if ((await isDir(join(root, 'img'))) && (await isDir(join(root, 'label')))) dataset = await openBtcv(root);
  else if (await isDir(join(root, 'imagesTr'))) dataset = await openImagesLabels(root);
  else dataset = await openFlat(root);
  if (dataset.cases.length === 0) throw new DatasetError(`no NIfTI cases found (layout ${dataset.layout})`, root);
  const seen = new Set<string>();
  for (const c of dataset.cases) {
    if (seen.has(c.id)) throw new DatasetError(`two cases have the id "${c.id}"`, c.image);
    seen.add(c.id);
  }
  return { ...dataset, cases: [...dataset.cases].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) };
}

async function mustExist(path: string, what: string): Promise<string> {
  if (!(await isFile(path))) throw new DatasetError(`${what} does not exist`, path);
  return path;
}

async function openMsd(root: string): Promise<Dataset> {
  const jsonPath = join(root, 'dataset.json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (e) {
    throw new DatasetError(`not valid JSON (${(e as Error).message})`, jsonPath);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new DatasetError('must be a JSON object', jsonPath);
  const json = parsed as Record<string, unknown>;
  const classNames = parseClassNames(json.labels, jsonPath);
  const withNames = (cases: DatasetCase[]): Dataset => ({ root, layout: 'msd', cases, ...(classNames ? { classNames } : {}) });
  if (Array.isArray(json.training)) {
    const cases: DatasetCase[] = [];
    for (const [n, entry] of json.training.entries()) {
      const { image, label } = (entry ?? {}) as { image?: unknown; label?: unknown };
      if (typeof image !== 'string' || typeof label !== 'string') {
        throw new DatasetError(`training[${n}] needs "image" and "label" strings`, jsonPath);
      }
      const imagePath = await mustExist(join(root, image), `image of training[${n}] in dataset.json`);
      const labelPath = await mustExist(join(root, label), `label of training[${n}] in dataset.json`);
      cases.push({ id: stripNifti(basename(image)), image: imagePath, label: labelPath });
    }
    return withNames(cases);
  }
  // nnU-Net v2: the cases are the files; channel 0000 is the CT.
  const ending = typeof json.file_ending === 'string' ? json.file_ending : '.nii.gz';
  const pairs = await pairImagesLabels(root, ending);
  return withNames(pairs);
}

function parseClassNames(value: unknown, jsonPath: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DatasetError('"labels" must be an object', jsonPath);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    // MSD: {"0": "background"}; nnU-Net v2: {"background": 0}.
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number') out[String(v)] = k;
    else throw new DatasetError(`"labels.${k}" must be a string or a number`, jsonPath);
  }
  return out;
}

/** `imagesTr/<case>[_0000]<ending>` with `labelsTr/<case><ending>` (labelsTr optional: then unlabeled). */
async function pairImagesLabels(root: string, ending: string): Promise<DatasetCase[]> {
  const imagesDir = join(root, 'imagesTr'), labelsDir = join(root, 'labelsTr');
  if (!(await isDir(imagesDir))) throw new DatasetError('imagesTr folder missing', imagesDir);
  const hasLabels = await isDir(labelsDir);
  const labelNames = hasLabels ? new Set((await readdir(labelsDir)).filter((n) => n.endsWith(ending) && !n.startsWith('.'))) : new Set<string>();
  const cases: DatasetCase[] = [];
  const used = new Set<string>();
  for (const name of (await readdir(imagesDir)).filter((n) => n.endsWith(ending) && !n.startsWith('.')).sort()) {
    const stem = name.slice(0, -ending.length);
    const channel = /_(\d{4})$/.exec(stem);
    if (channel && channel[1] !== '0000') continue; // other modalities of a multi-channel case
    const id = channel ? stem.slice(0, -5) : stem;
    const image = join(imagesDir, name);
    if (!hasLabels) { cases.push({ id, image }); continue; }
    const labelName = `${id}${ending}`;
    if (!labelNames.has(labelName)) throw new DatasetError(`no label ${join('labelsTr', labelName)} for this image`, image);
    used.add(labelName);
    cases.push({ id, image, label: join(labelsDir, labelName) });
  }
  for (const name of labelNames) if (!used.has(name)) throw new DatasetError('label without an image in imagesTr', join(labelsDir, name));
  return cases;
}

async function openImagesLabels(root: string): Promise<Dataset> {
  const cases = await pairImagesLabels(root, '.nii.gz');
  const labeled = cases.some((c) => c.label);
  return { root, layout: labeled ? 'images-labels' : 'unlabeled', cases };
}

async function openBtcv(root: string): Promise<Dataset> {
  const imgDir = join(root, 'img'), labelDir = join(root, 'label');
  const labels = new Map<string, string>();
  for (const name of await niftiFiles(labelDir)) {
    const m = /^label(\w+?)\.nii(\.gz)?$/.exec(name);
    if (!m) throw new DatasetError('expected label<ID>.nii.gz in a BTCV label folder', join(labelDir, name));
    labels.set(m[1]!, join(labelDir, name));
  }
  const cases: DatasetCase[] = [];
  for (const name of await niftiFiles(imgDir)) {
    const m = /^img(\w+?)\.nii(\.gz)?$/.exec(name);
    if (!m) throw new DatasetError('expected img<ID>.nii.gz in a BTCV img folder', join(imgDir, name));
    const id = m[1]!;
    const label = labels.get(id);
    if (!label) throw new DatasetError(`no label/label${id}.nii.gz for this image`, join(imgDir, name));
    labels.delete(id);
    cases.push({ id, image: join(imgDir, name), label });
  }
  for (const path of labels.values()) throw new DatasetError('label without an image in img/', path);
  return { root, layout: 'btcv', cases };
}

/** A flat folder: label files are those with a label suffix; each needs exactly one image with the same stem. */
async function openFlat(root: string): Promise<Dataset> {
  const names = await niftiFiles(root);
  const stems = new Map(names.map((n) => [stripNifti(n), n]));
  const labelStems = [...stems.keys()].filter((s) => LABEL_SUFFIX.test(s));
  if (labelStems.length === 0) {
    return { root, layout: 'unlabeled', cases: names.map((n) => ({ id: stripNifti(n), image: join(root, n) })) };
  }
  const usedImages = new Set<string>();
  const cases: DatasetCase[] = [];
  for (const stem of labelStems) {
    const id = stem.replace(LABEL_SUFFIX, '');
    const matches = IMAGE_SUFFIXES.map((s) => `${id}${s}`).filter((s) => stems.has(s) && !LABEL_SUFFIX.test(s));
    const labelPath = join(root, stems.get(stem)!);
    if (matches.length === 0) throw new DatasetError(`no image for this label (looked for ${IMAGE_SUFFIXES.map((s) => `${id}${s}.nii.gz`).join(', ')})`, labelPath);
    if (matches.length > 1) throw new DatasetError(`several images match this label: ${matches.map((m) => stems.get(m)).join(', ')}`, labelPath);
    usedImages.add(matches[0]!);
    cases.push({ id, image: join(root, stems.get(matches[0]!)!), label: labelPath });
  }
  for (const [stem, name] of stems) {
    if (!LABEL_SUFFIX.test(stem) && !usedImages.has(stem)) throw new DatasetError('image without a label in a labeled folder (expected <id>_seg.nii.gz next to it)', join(root, name));
  }
  return { root, layout: 'pairs', cases };
}
