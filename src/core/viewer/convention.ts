// Which way round the viewer shows axial and coronal slices. Radiological: the patient's right on the screen's left,
// as if facing the patient (how radiologists read CT). Neurological: the patient's right on the right (NiiVue's and
// most research tools' default, usual for MRI of the brain).

/** The `anadiff.viewer.convention` setting. `auto`: radiological for CT, neurological otherwise. */
export type ViewerConvention = 'auto' | 'radiological' | 'neurological';

export const VIEWER_CONVENTIONS: readonly ViewerConvention[] = ['auto', 'radiological', 'neurological'];

/** Reads the setting's raw value (anything a settings.json may hold); unknown values fall back to `auto`. */
export function parseConvention(value: unknown): ViewerConvention {
  return VIEWER_CONVENTIONS.find((c) => c === value) ?? 'auto';
}

/** Whether a freshly opened image starts in radiological convention (the toolbar toggle changes it afterwards). */
export function startsRadiological(convention: ViewerConvention, isCt: boolean): boolean {
  return convention === 'radiological' || (convention === 'auto' && isCt);
}
