import { sameGeometry } from '../../core/preprocess/index.js';
import { readNiftiHeaderFile } from '../nifti/index.js';
import { DatasetError, type Dataset } from './layouts.js';

/**
 * Reads every case's headers (no voxels) and checks that each is a NIfTI file and that each label lies on its image's
 * grid (dims and affine within 1e-3 mm). Throws DatasetError naming the first bad file.
 */
export async function checkDataset(dataset: Dataset): Promise<void> {
  for (const c of dataset.cases) {
    const image = await header(c.image);
    if (!c.label) continue;
    const label = await header(c.label);
    if (!sameGeometry(image, label)) {
      throw new DatasetError(`label grid ${label.dims.join('x')} does not match its image ${c.image} (${image.dims.join('x')}, or a different affine)`, c.label);
    }
  }
}

async function header(path: string) {
  try {
    return (await readNiftiHeaderFile(path)).layout;
  } catch (e) {
    throw new DatasetError(`cannot read NIfTI header: ${(e as Error).message}`, path);
  }
}
