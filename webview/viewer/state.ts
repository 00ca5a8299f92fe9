// The view state (what survives hiding and reopening) and the one place that decides its defaults.
import { findPreset, rangeToWindow, WINDOW_PRESETS, type DisplayRange, type WindowPresetId } from '../../src/core/viewer/window.js';
import { startsRadiological, type ViewerConvention } from '../../src/core/viewer/convention.js';
import type { ViewerState } from '../../src/protocol/viewer.js';

export function defaultState(defaultWindow: DisplayRange, isCt: boolean, convention: ViewerConvention): ViewerState {
  return {
    layout: 'multiplanar',
    window: defaultWindow,
    presetId: isCt ? matchingPreset(defaultWindow) : null,
    crosshairFrac: [0.5, 0.5, 0.5],
    colormap: 'gray',
    radiological: startsRadiological(convention, isCt),
    overlayOpacity: 0.5,
    hiddenLabels: [],
    headerOpen: false,
  };
}

/** The preset whose window equals `range` (to show it selected), else null. */
export function matchingPreset(range: DisplayRange): WindowPresetId | null {
  const w = rangeToWindow(range);
  return WINDOW_PRESETS.find((p) => Math.abs(p.width - w.width) < 0.5 && Math.abs(p.level - w.level) < 0.5)?.id ?? null;
}

/** Accepts a saved state only if it has the current shape (older or foreign state is dropped, not trusted). */
export function parseSavedState(value: unknown): ViewerState | null {
  if (typeof value !== 'object' || value === null) return null;
  const s = value as Partial<ViewerState>;
  const layouts = ['axial', 'coronal', 'sagittal', 'multiplanar'];
  const okWindow = typeof s.window?.min === 'number' && typeof s.window.max === 'number' && s.window.max > s.window.min;
  const okFrac = Array.isArray(s.crosshairFrac) && s.crosshairFrac.length === 3 && s.crosshairFrac.every((f) => typeof f === 'number' && f >= 0 && f <= 1);
  if (!layouts.includes(String(s.layout)) || !okWindow || !okFrac) return null;
  return {
    layout: s.layout as ViewerState['layout'],
    window: s.window as DisplayRange,
    presetId: s.presetId && findPreset(s.presetId) ? s.presetId : null,
    crosshairFrac: s.crosshairFrac as [number, number, number],
    colormap: typeof s.colormap === 'string' ? s.colormap : 'gray',
    radiological: s.radiological === true,
    overlayOpacity: typeof s.overlayOpacity === 'number' ? Math.min(1, Math.max(0, s.overlayOpacity)) : 0.5,
    hiddenLabels: Array.isArray(s.hiddenLabels) ? s.hiddenLabels.filter((n) => typeof n === 'number') : [],
    headerOpen: s.headerOpen === true,
  };
}
