// Right-hand panel: the overlay legend (colour, name, show/hide per label, opacity), the organ table after a
// segmentation (volume, mean value, confidence, input warnings) and the header table.
import { rgbCss, type LabelEntry } from '../../src/core/viewer/color-tables.js';
import type { HeaderField, OrganStat } from '../../src/protocol/viewer.js';
import { h } from './dom.js';

export interface LegendEvents {
  toggle(id: number, visible: boolean): void;
  opacity(value: number): void;
}

export function renderLegend(container: HTMLElement, title: string, note: string | null, labels: readonly LabelEntry[], hidden: ReadonlySet<number>, opacity: number, events: LegendEvents): void {
  const slider = h('input', { type: 'range', min: '0', max: '100', value: String(Math.round(opacity * 100)), id: 'overlay-opacity', 'aria-label': 'Overlay opacity' });
  const opacityText = h('span', { class: 'muted' }, `${Math.round(opacity * 100)}%`);
  slider.addEventListener('input', () => {
    opacityText.textContent = `${slider.value}%`;
    events.opacity(Number(slider.value) / 100);
  });
  const rows = labels.map((label) => {
    const box = h('input', { type: 'checkbox', 'data-label-id': String(label.id), 'aria-label': `Show ${label.name}` });
    box.checked = !hidden.has(label.id);
    box.addEventListener('change', () => events.toggle(label.id, box.checked));
    const swatch = h('span', { class: 'swatch' });
    swatch.style.background = rgbCss(label.rgb);
    return h('label', { class: 'legend-row' }, box, swatch, h('span', { class: 'legend-id' }, String(label.id)), h('span', { class: 'legend-name' }, label.name));
  });
  container.replaceChildren(
    ...[
      h('h2', {}, 'Labels'),
      h('div', { class: 'muted file-name', title }, title),
      note ? h('div', { class: 'note' }, note) : null,
      h('div', { class: 'opacity' }, h('span', {}, 'Opacity'), slider, opacityText),
      h('div', { class: 'legend', id: 'legend' }, ...rows),
    ].filter((el): el is HTMLDivElement | HTMLHeadingElement => el !== null),
  );
  container.hidden = false;
}

export function renderHeader(container: HTMLElement, fileName: string, fields: readonly HeaderField[]): void {
  const table = h(
    'table',
    { class: 'header-table' },
    h('tbody', {}, ...fields.map((f) => h('tr', {}, h('th', { scope: 'row' }, f.name), h('td', {}, f.value)))),
  );
  container.replaceChildren(h('h2', {}, 'Header'), h('div', { class: 'muted file-name' }, fileName), table);
}

/**
 * The organ table of a segmentation: colour (from the overlay's legend), name, volume in mL, mean value inside and,
 * when `segment` measured it, the model's confidence; the input warnings (why the labels may be unreliable) above it.
 */
export function renderOrganTable(container: HTMLElement, fileName: string, organs: readonly OrganStat[], warnings: readonly string[], colours: ReadonlyMap<number, LabelEntry['rgb']>, isCt: boolean): void {
  const withConfidence = organs.some((o) => o.confidence !== undefined);
  const rows = organs.map((o) => {
    const swatch = h('span', { class: 'swatch' });
    const rgb = colours.get(o.label);
    if (rgb) swatch.style.background = rgbCss(rgb);
    return h('tr', { class: 'organ-row', 'data-label': String(o.label) },
      h('td', {}, swatch), h('td', { class: 'organ-name' }, o.name),
      h('td', { class: 'num', 'data-ml': String(o.volumeMl) }, o.volumeMl >= 100 ? o.volumeMl.toFixed(0) : o.volumeMl.toFixed(1)),
      h('td', { class: 'num' }, o.meanValue.toFixed(0)),
      ...(withConfidence ? [h('td', { class: 'num organ-confidence', 'data-confidence': String(o.confidence ?? '') }, o.confidence === undefined ? '' : o.confidence.toFixed(2))] : []));
  });
  const confidenceTitle = 'The model\'s mean predicted probability over the organ\'s voxels: low means the model was unsure. Not a calibrated probability that the organ is right.';
  const table = h('table', { class: 'organ-table', id: 'organ-table' },
    h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'Organ'), h('th', { class: 'num' }, 'mL'), h('th', { class: 'num' }, isCt ? 'mean HU' : 'mean'),
      ...(withConfidence ? [h('th', { class: 'num', title: confidenceTitle }, 'confidence')] : []))),
    h('tbody', {}, ...rows));
  container.replaceChildren(
    h('h2', {}, 'Organs'),
    h('div', { class: 'muted file-name', title: fileName }, fileName),
    ...warnings.map((w) => h('div', { class: 'note warning organ-warning' }, `Warning: ${w}.`)),
    organs.length > 0 ? table : h('div', { class: 'note' }, 'The model found no organ in this image.'),
  );
  container.hidden = false;
}
