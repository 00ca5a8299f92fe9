// Label colour tables: which colour and name each integer label gets in an overlay.
// Pure data + functions so the webview, the host and the tests share one definition.
import { BTCV13_ORGANS, describesBtcv13 } from '../btcv.js';

/** One label of a segmentation: its integer id, a human name and an sRGB colour (0..255 each). */
export interface LabelEntry {
  readonly id: number;
  readonly name: string;
  readonly rgb: readonly [number, number, number];
}

/** A named set of labels. `id` is stable across versions (saved in webview state). */
export interface LabelTable {
  readonly id: 'btcv13' | 'generic';
  readonly title: string;
  readonly labels: readonly LabelEntry[];
}

/** BTCV-13 abdominal organs with the names and colours of core/btcv (the one vocabulary). */
export const BTCV13: LabelTable = {
  id: 'btcv13',
  title: 'BTCV-13',
  labels: BTCV13_ORGANS.map(({ id, name, rgb }) => ({ id, name, rgb })),
};

/**
 * Golden-angle hue steps with the lightness cycling through three levels: hue alone put ids 1 and 6 on nearly the
 * same green (137.5 deg vs 105 deg); with lightness 1 and 6 differ too, and neighbouring ids never look alike.
 */
export function genericLabelColour(id: number): [number, number, number] {
  const hue = (id * 137.508) % 360;
  return hslToRgb(hue, 0.75, GENERIC_LIGHTNESS[id % GENERIC_LIGHTNESS.length] as number);
}

const GENERIC_LIGHTNESS = [0.62, 0.42, 0.78] as const;

/** A generic table for the given label ids (0 = background is skipped). */
export function genericLabelTable(ids: readonly number[]): LabelTable {
  const labels = [...new Set(ids)]
    .filter((id) => id > 0)
    .sort((a, b) => a - b)
    .map((id) => ({ id, name: `label ${id}`, rgb: genericLabelColour(id) }));
  return { id: 'generic', title: 'Generic', labels };
}

/**
 * Picks the table for an overlay: BTCV-13 when every present id is a BTCV id and the file says so, by its name
 * (`..._btcv13_...`) or by its NIfTI description (`anadiff sample` writes "BTCV-13 labels for ..."); otherwise a
 * generic table over the ids actually present.
 */
export function chooseLabelTable(fileName: string, presentIds: readonly number[], description = ''): LabelTable {
  const ids = presentIds.filter((id) => id > 0);
  const allBtcv = ids.length > 0 && ids.every((id) => Number.isInteger(id) && id >= 1 && id <= 13);
  if (allBtcv && (/btcv/i.test(fileName) || describesBtcv13(description))) return BTCV13;
  return genericLabelTable(ids);
}

/** Returns the table restricted to the labels present in the overlay (legend shows only what is there). */
export function presentLabels(table: LabelTable, presentIds: readonly number[]): LabelEntry[] {
  const present = new Set(presentIds);
  const known = table.labels.filter((l) => present.has(l.id));
  const unknown = [...present]
    .filter((id) => id > 0 && !table.labels.some((l) => l.id === id))
    .sort((a, b) => a - b)
    .map((id) => ({ id, name: `label ${id}`, rgb: genericLabelColour(id) }));
  return [...known, ...unknown];
}

/**
 * A NiiVue label colormap (`ColorMap` with parallel R/G/B/A/I arrays and names): index 0 stays transparent, hidden
 * labels get alpha 0. Dense from 0 to the largest id so NiiVue's lookup is a direct index.
 */
export interface NiivueLabelColormap {
  R: number[];
  G: number[];
  B: number[];
  A: number[];
  I: number[];
  labels: string[];
}

export function toNiivueLabelColormap(labels: readonly LabelEntry[], hiddenIds: ReadonlySet<number>): NiivueLabelColormap {
  const maxId = labels.reduce((m, l) => Math.max(m, l.id), 0);
  const cm: NiivueLabelColormap = { R: [], G: [], B: [], A: [], I: [], labels: [] };
  const byId = new Map(labels.map((l) => [l.id, l]));
  for (let id = 0; id <= maxId; id++) {
    const entry = byId.get(id);
    cm.I.push(id);
    cm.R.push(entry?.rgb[0] ?? 0);
    cm.G.push(entry?.rgb[1] ?? 0);
    cm.B.push(entry?.rgb[2] ?? 0);
    cm.A.push(entry && !hiddenIds.has(id) ? 255 : 0);
    cm.labels.push(entry?.name ?? '');
  }
  return cm;
}

/** CSS colour for a legend swatch. */
export function rgbCss(rgb: readonly [number, number, number]): string {
  return `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
}

function hslToRgb(hueDeg: number, s: number, l: number): [number, number, number] {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const h = hueDeg / 60;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const [r, g, b] = h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  const m = l - c / 2;
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}
