// The BTCV-13 vocabulary (Beyond the Cranial Vault abdomen challenge): label ids 1..13, the organ names the viewer,
// the trainer, the evaluator and segmentation models use, the spelling TotalSegmentator gives the same organs, and
// the overlay colours. The one home of these names: everything else imports them from here.

/** Label id of each organ, keyed for code (`BTCV13_LABELS.liver` is 6). */
export const BTCV13_LABELS = {
  spleen: 1, rightKidney: 2, leftKidney: 3, gallbladder: 4, esophagus: 5, liver: 6, stomach: 7, aorta: 8,
  ivc: 9, portalSplenicVein: 10, pancreas: 11, rightAdrenal: 12, leftAdrenal: 13,
} as const;

export type Btcv13Key = keyof typeof BTCV13_LABELS;

export interface Btcv13Organ {
  readonly id: number;
  readonly key: Btcv13Key;
  /** What a person reads (legends, class names in model metadata and reports). */
  readonly name: string;
  /** TotalSegmentator v2 "total" spelling of the same structure (synthetic CTs map its ids to BTCV's). */
  readonly totalsegName: string;
  /** sRGB 0..255. Chosen so every two organs differ by CIE76 ΔE >= 25 (test/unit/core/btcv.test.ts). */
  readonly rgb: readonly [number, number, number];
}

/** The 13 organs in id order. */
export const BTCV13_ORGANS: readonly Btcv13Organ[] = Object.freeze([
  { id: 1, key: 'spleen', name: 'spleen', totalsegName: 'spleen', rgb: [128, 64, 160] },
  { id: 2, key: 'rightKidney', name: 'right kidney', totalsegName: 'kidney_right', rgb: [230, 159, 0] },
  { id: 3, key: 'leftKidney', name: 'left kidney', totalsegName: 'kidney_left', rgb: [86, 180, 233] },
  { id: 4, key: 'gallbladder', name: 'gallbladder', totalsegName: 'gallbladder', rgb: [0, 158, 115] },
  { id: 5, key: 'esophagus', name: 'esophagus', totalsegName: 'esophagus', rgb: [240, 228, 66] },
  { id: 6, key: 'liver', name: 'liver', totalsegName: 'liver', rgb: [190, 80, 60] },
  { id: 7, key: 'stomach', name: 'stomach', totalsegName: 'stomach', rgb: [255, 170, 200] },
  { id: 8, key: 'aorta', name: 'aorta', totalsegName: 'aorta', rgb: [220, 30, 40] },
  { id: 9, key: 'ivc', name: 'inferior vena cava', totalsegName: 'inferior_vena_cava', rgb: [30, 60, 200] },
  { id: 10, key: 'portalSplenicVein', name: 'portal and splenic veins', totalsegName: 'portal_vein_and_splenic_vein', rgb: [0, 200, 200] },
  { id: 11, key: 'pancreas', name: 'pancreas', totalsegName: 'pancreas', rgb: [250, 200, 120] },
  { id: 12, key: 'rightAdrenal', name: 'right adrenal gland', totalsegName: 'adrenal_gland_right', rgb: [150, 220, 80] },
  { id: 13, key: 'leftAdrenal', name: 'left adrenal gland', totalsegName: 'adrenal_gland_left', rgb: [230, 60, 200] },
] satisfies Btcv13Organ[]);

/** Organ names by id - 1 (class names of a 13-class model). */
export const BTCV13_NAMES: readonly string[] = Object.freeze(BTCV13_ORGANS.map((o) => o.name));

/** The label ids 1..13 (the classes Dice is reported for). */
export const BTCV13_CLASSES: readonly number[] = Object.freeze(BTCV13_ORGANS.map((o) => o.id));

/**
 * Whether a NIfTI description (`descrip`, 80 bytes) says the file holds BTCV-13 labels: `anadiff sample` and
 * `anadiff synth` write "BTCV-13 labels ...".
 */
export function describesBtcv13(description: string): boolean {
  return /\bBTCV[-_ ]?13\b/i.test(description);
}
