/**
 * The numbers of the default model's generalisation report (`npm run eval:default`): which organs a scan shows
 * ("in view"), the mean Dice over them, and how a partial scan (a slab) scores against the full scan on the same
 * organs. Pure: the suite in src/node/segment/default-eval.ts reads the files and runs the model.
 */

/**
 * An organ is in view when the reference holds at least this volume of it. A sliver of a few voxels at a slab's edge
 * gives a Dice of 0 or 1 by chance; 1 mL (37 voxels at 3 mm) keeps every organ a reader would call visible.
 */
export const IN_VIEW_MIN_ML = 1;

/** Labels (1-based class values) whose reference volume is at least `minMl`. */
export function organsInView(refVoxels: ReadonlyMap<number, number>, mlPerVoxel: number, minMl = IN_VIEW_MIN_ML): number[] {
  return [...refVoxels].filter(([label, n]) => label > 0 && n * mlPerVoxel >= minMl).map(([label]) => label).sort((a, b) => a - b);
}

/** Voxels per label value. */
export function labelVoxels(labels: ArrayLike<number>): Map<number, number> {
  const counts = new Float64Array(256);
  for (let n = 0; n < labels.length; n++) counts[labels[n]!]!++;
  const out = new Map<number, number>();
  counts.forEach((c, label) => { if (c > 0) out.set(label, c); });
  return out;
}

/** Mean of `perClass[label - classes[0]]`-style values over `labels`, where `classes` lists the scored labels in order. */
export function meanOverLabels(values: readonly number[], classes: readonly number[], labels: readonly number[]): number {
  const picked = labels.map((l) => values[classes.indexOf(l)]).filter((v): v is number => v !== undefined && Number.isFinite(v));
  return picked.length === 0 ? NaN : picked.reduce((s, v) => s + v, 0) / picked.length;
}

/** A slab's mean Dice over its organs in view, against the full scan's mean Dice over the same organs. */
export interface SlabComparison {
  readonly organs: readonly number[];
  readonly slabMeanDice: number;
  readonly fullMeanDice: number;
  /** slab / full; the goal is >= 0.9. */
  readonly ratio: number;
}

export function compareSlab(slabDice: readonly number[], fullDice: readonly number[], classes: readonly number[], organs: readonly number[]): SlabComparison {
  const slabMeanDice = meanOverLabels(slabDice, classes, organs);
  const fullMeanDice = meanOverLabels(fullDice, classes, organs);
  return { organs, slabMeanDice, fullMeanDice, ratio: fullMeanDice > 0 ? slabMeanDice / fullMeanDice : NaN };
}
