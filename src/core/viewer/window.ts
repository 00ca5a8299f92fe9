// Window/level maths for greyscale display. A window is (width, level) in the image's units (HU for CT);
// NiiVue and the first-paint canvas both want a [min, max] display range.

/** Display range in image units: values <= min are black, >= max white. */
export interface DisplayRange {
  readonly min: number;
  readonly max: number;
}

/** Window width and level (centre), the way radiologists name a CT window. */
export interface WindowLevel {
  readonly width: number;
  readonly level: number;
}

export type WindowPresetId = 'abdomen' | 'lung' | 'bone' | 'brain';

export interface WindowPreset extends WindowLevel {
  readonly id: WindowPresetId;
  readonly title: string;
}

/** Standard CT windows (HU). */
export const WINDOW_PRESETS: readonly WindowPreset[] = [
  { id: 'abdomen', title: 'Abdomen', width: 400, level: 40 },
  { id: 'lung', title: 'Lung', width: 1500, level: -600 },
  { id: 'bone', title: 'Bone', width: 1800, level: 400 },
  { id: 'brain', title: 'Brain', width: 80, level: 40 },
];

export function findPreset(id: string): WindowPreset | undefined {
  return WINDOW_PRESETS.find((p) => p.id === id);
}

export function windowToRange(w: WindowLevel): DisplayRange {
  if (!(w.width > 0) || !Number.isFinite(w.level)) throw new RangeError(`window width must be > 0 and level finite (got W${w.width}/L${w.level})`);
  return { min: w.level - w.width / 2, max: w.level + w.width / 2 };
}

export function rangeToWindow(r: DisplayRange): WindowLevel {
  return { width: r.max - r.min, level: (r.max + r.min) / 2 };
}

/** Maps a value to a grey level 0..255 for the range (the same linear ramp NiiVue's gray colormap uses). */
export function greyLevel(value: number, range: DisplayRange): number {
  const span = range.max - range.min;
  if (!(span > 0)) return value >= range.max ? 255 : 0;
  const t = (value - range.min) / span;
  return t <= 0 ? 0 : t >= 1 ? 255 : Math.round(t * 255);
}

/**
 * Whether an image looks like CT in Hounsfield units: integer-coded data whose minimum is near air (-1024) or
 * the scanner's padding value, and whose maximum reaches bone. Decides the default window and the "HU" unit.
 */
export function looksLikeCt(range: DisplayRange, integerCoded: boolean): boolean {
  return integerCoded && range.min <= -900 && range.min >= -32768 && range.max >= 300;
}

/**
 * Robust automatic range: the 2nd and 98th percentiles of a sample of the values (a full sort of 80M voxels would
 * cost seconds). Falls back to the full range for constant or tiny images.
 */
export function autoRange(values: ArrayLike<number>, maxSamples = 65536): DisplayRange {
  const n = values.length;
  if (n === 0) return { min: 0, max: 1 };
  const step = Math.max(1, Math.floor(n / maxSamples));
  const sample: number[] = [];
  for (let i = 0; i < n; i += step) {
    const v = values[i] as number;
    if (Number.isFinite(v)) sample.push(v);
  }
  if (sample.length === 0) return { min: 0, max: 1 };
  sample.sort((a, b) => a - b);
  const at = (q: number): number => sample[Math.min(sample.length - 1, Math.floor(q * (sample.length - 1)))] as number;
  const lo = at(0.02);
  const hi = at(0.98);
  if (hi > lo) return { min: lo, max: hi };
  const first = sample[0] as number;
  const last = sample[sample.length - 1] as number;
  return last > first ? { min: first, max: last } : { min: first, max: first + 1 };
}

/** The default display range: the abdomen window for CT, otherwise the robust automatic range. */
export function defaultRange(values: ArrayLike<number>, fullRange: DisplayRange, integerCoded: boolean): DisplayRange {
  if (looksLikeCt(fullRange, integerCoded)) return windowToRange(WINDOW_PRESETS[0] as WindowPreset);
  return autoRange(values);
}

/** Formats a voxel value for the readout: integers plainly, floats with 4 significant digits. */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  const text = Number.isInteger(value) ? String(value) : Number(value.toPrecision(4)).toString();
  return unit ? `${text} ${unit}` : text;
}
