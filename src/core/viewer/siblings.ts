// Which files next to an open image look like its segmentations: the viewer offers them as overlays.

// `gt` only as a whole word: "weighted" or "length" are not ground truth.
const SEGMENTATION_WORDS = /seg|label|mask|btcv|annot|truth|(^|[_.\- ])gt([_.\- ]|$)/i;

/** Strips `.nii` / `.nii.gz` (case-insensitive). */
export function niftiStem(fileName: string): string {
  return fileName.replace(/\.nii(\.gz)?$/i, '');
}

/** Where `Segment Organs` writes an image's labels: `ct.nii` or `ct.nii.gz` -> `ct_seg.nii.gz`, next to the image. */
export function segmentationFileName(imageName: string): string {
  return `${niftiStem(imageName)}_seg.nii.gz`;
}

export function isNiftiName(fileName: string): boolean {
  return /\.nii(\.gz)?$/i.test(fileName);
}

/** Whether a NIfTI file's name says it holds labels (seg, label, mask, btcv, annotation, ground truth). */
export function looksLikeSegmentation(fileName: string): boolean {
  return SEGMENTATION_WORDS.test(niftiStem(fileName));
}

/**
 * Candidate overlays among `siblingNames` for `imageName`: NIfTI files, not the image itself, whose name contains
 * a segmentation word. Files sharing the image's stem (`ct.nii.gz` -> `ct_seg.nii.gz`) come first. The caller still
 * checks the grid before offering them.
 */
export function segmentationCandidates(imageName: string, siblingNames: readonly string[]): string[] {
  const stem = niftiStem(imageName).toLowerCase();
  const imageIsLabel = SEGMENTATION_WORDS.test(niftiStem(imageName));
  if (imageIsLabel) return [];
  const found = siblingNames.filter((n) => n !== imageName && isNiftiName(n) && SEGMENTATION_WORDS.test(niftiStem(n)));
  const score = (n: string): number => (niftiStem(n).toLowerCase().startsWith(stem) ? 0 : 1);
  return found.sort((a, b) => score(a) - score(b) || a.localeCompare(b));
}
