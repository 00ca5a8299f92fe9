/**
 * Which tissue each input label id stands for, and which BTCV-13 class (if any) it becomes in the output labels.
 * Two input vocabularies: TotalSegmentator v2 "total" (117 classes, ids as in its totalsegmentator_v2_class_map.json)
 * and BTCV-13 itself. TotalSegmentator's finer classes (bones, muscles, lungs, bowel) only shape the intensities;
 * the output keeps the 13 BTCV organs.
 */
import { BTCV13_ORGANS } from '../btcv.js';

/** Tissues with their own HU model (`hu-table.ts`). `body` is unlabeled tissue inside the body (fat/soft tissue). */
export const TISSUES = [
  'air', 'fat', 'body', 'muscle', 'bone', 'spinalCord', 'lung',
  'liver', 'spleen', 'kidney', 'gallbladder', 'pancreas', 'adrenal', 'esophagus', 'stomach', 'bowel', 'colon',
  'bladder', 'prostate', 'heart', 'artery', 'vein', 'portalVein', 'thyroid',
] as const;
export type Tissue = (typeof TISSUES)[number];

export const TISSUE_INDEX: Readonly<Record<Tissue, number>> = Object.fromEntries(TISSUES.map((t, n) => [t, n])) as Record<Tissue, number>;

export type ClassVocabulary = 'totalseg' | 'btcv';

export interface ClassInfo {
  readonly tissue: Tissue;
  /** BTCV-13 output label, 0 when the class is not a BTCV organ. */
  readonly btcv: number;
}

/** BTCV-13 organs in TotalSegmentator's spelling, by id - 1 (core/btcv). */
export const BTCV13_TOTALSEG_NAMES: readonly string[] = BTCV13_ORGANS.map((o) => o.totalsegName);

const BTCV_TISSUES: readonly Tissue[] = [
  'spleen', 'kidney', 'kidney', 'gallbladder', 'esophagus', 'liver', 'stomach', 'artery', 'vein', 'portalVein', 'pancreas', 'adrenal', 'adrenal',
];

/** TotalSegmentator v2 id -> BTCV-13 id (checked against totalsegmentator_v2_class_map.json by a test). */
export const TOTALSEG_TO_BTCV: Readonly<Record<number, number>> = {
  1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 7, 7: 11, 8: 12, 9: 13, 15: 5, 52: 8, 63: 9, 64: 10,
};

/** The TotalSegmentator v2 "total" names this module relies on, for the test against the shipped class map. */
export const TOTALSEG_NAMES: Readonly<Record<number, string>> = {
  1: 'spleen', 2: 'kidney_right', 3: 'kidney_left', 4: 'gallbladder', 5: 'liver', 6: 'stomach', 7: 'pancreas',
  8: 'adrenal_gland_right', 9: 'adrenal_gland_left', 15: 'esophagus', 52: 'aorta', 63: 'inferior_vena_cava',
  64: 'portal_vein_and_splenic_vein', 18: 'small_bowel', 19: 'duodenum', 20: 'colon', 21: 'urinary_bladder',
  79: 'spinal_cord', 51: 'heart', 116: 'sternum', 117: 'costal_cartilages',
};

function totalsegTissue(id: number): Tissue {
  if (id >= 10 && id <= 14) return 'lung';
  if (id === 16) return 'air'; // trachea lumen
  if (id === 17) return 'thyroid';
  if (id === 18 || id === 19) return 'bowel';
  if (id === 20) return 'colon';
  if (id === 21) return 'bladder';
  if (id === 22) return 'prostate';
  if (id === 23 || id === 24) return 'gallbladder'; // kidney cysts: water density
  if ((id >= 25 && id <= 50) || (id >= 69 && id <= 78) || (id >= 91 && id <= 117)) return 'bone';
  if (id === 51 || id === 61) return 'heart';
  if (id === 53 || id === 59 || id === 60 || id === 62 || id === 67 || id === 68) return 'vein';
  if ((id >= 54 && id <= 58) || id === 65 || id === 66) return 'artery';
  if (id === 79 || id === 90) return 'spinalCord';
  if (id >= 80 && id <= 89) return 'muscle';
  return 'body';
}

/** Lookup tables for every id 0..255 of a vocabulary (unknown ids are unlabeled body tissue). */
export function classTable(vocabulary: ClassVocabulary): ClassInfo[] {
  const table: ClassInfo[] = [];
  for (let id = 0; id < 256; id++) {
    if (id === 0) table.push({ tissue: 'body', btcv: 0 });
    else if (vocabulary === 'btcv') table.push(id <= 13 ? { tissue: BTCV_TISSUES[id - 1]!, btcv: id } : { tissue: 'body', btcv: 0 });
    else {
      const btcv = TOTALSEG_TO_BTCV[id] ?? 0;
      table.push({ tissue: btcv ? BTCV_TISSUES[btcv - 1]! : totalsegTissue(id), btcv });
    }
  }
  return table;
}

/** TotalSegmentator when any id above 13 is present (BTCV-13 has none), else BTCV. */
export function guessVocabulary(presentIds: readonly number[]): ClassVocabulary {
  return presentIds.some((id) => id > 13) ? 'totalseg' : 'btcv';
}
