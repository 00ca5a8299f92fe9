// Right-hand panel: the overlay legend (colour, name, show/hide per label, opacity) and the header table.
import { rgbCss, type LabelEntry } from '../../src/core/viewer/color-tables.js';
import type { HeaderField } from '../../src/protocol/viewer.js';
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
