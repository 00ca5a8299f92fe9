/**
 * Labelled cases of a dataset folder (node/datasets' openDataset: MSD/nnU-Net, BTCV, imagesTr/labelsTr, X_ct/X_seg
 * pairs) as the engine's CaseSources (paths only; nothing is decoded here).
 */
import { DatasetError, openDataset, type Dataset } from './index.js';
import type { CaseSource } from '../train/jobs/job-spec.js';

/** Every labelled case, sorted by id; a folder without labels is an error (it is for pretraining, not training). */
export async function listLabelledCases(dir: string): Promise<CaseSource[]> {
  const dataset = await openDataset(dir);
  const cases = dataset.cases.flatMap((c): CaseSource[] => (c.label ? [{ id: c.id, image: c.image, labels: c.label }] : []));
  if (cases.length === 0) throw new DatasetError(`no labelled cases (layout ${dataset.layout}): training needs image + label pairs`, dataset.root);
  return cases;
}

/** The BTCV cases of `dir` by id (the protocol runner looks its fold ids up here). */
export async function btcvCases(dir: string): Promise<{ dataset: Dataset; byId: Map<string, CaseSource> }> {
  const dataset = await openDataset(dir);
  if (dataset.layout !== 'btcv') throw new DatasetError(`the BTCV protocol needs the BTCV layout (img/img0001.nii.gz + label/label0001.nii.gz), found ${dataset.layout}`, dataset.root);
  return { dataset, byId: new Map((await listLabelledCases(dir)).map((c) => [c.id, c])) };
}
