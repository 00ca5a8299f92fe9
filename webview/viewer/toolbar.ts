// The toolbar: layout, window preset + manual W/L, colormap, convention, overlay and header buttons.
// Built from @vscode-elements components so it follows the editor's theme (dark, light, high contrast).
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import { WINDOW_PRESETS, type WindowPresetId } from '../../src/core/viewer/window.js';
import { LAYOUTS, type Layout } from '../../src/protocol/viewer.js';
import { h } from './dom.js';

export interface ToolbarEvents {
  layout(layout: Layout): void;
  preset(id: WindowPresetId): void;
  manualWindow(width: number, level: number): void;
  colormap(name: string): void;
  radiological(on: boolean): void;
  overlay(): void;
  header(): void;
  resetZoom(): void;
}

/** Custom elements expose `value` / `checked`; this is the slice of them the toolbar uses. */
type ValueElement = HTMLElement & { value: string };
type CheckElement = HTMLElement & { checked: boolean };

export interface Toolbar {
  readonly element: HTMLElement;
  setLayout(layout: Layout): void;
  setWindow(width: number, level: number, presetId: WindowPresetId | null): void;
  setColormaps(names: readonly string[], current: string): void;
  setRadiological(on: boolean): void;
  setUnit(unit: string): void;
}

const LAYOUT_TITLES: Record<Layout, string> = { multiplanar: 'Multiplanar', axial: 'Axial', coronal: 'Coronal', sagittal: 'Sagittal' };
const MANUAL = 'manual';

function select(id: string, label: string, options: readonly { value: string; text: string }[]): ValueElement {
  return h('vscode-single-select', { id, 'aria-label': label, class: `select-${id}` }, ...options.map((o) => h('vscode-option', { value: o.value }, o.text))) as ValueElement;
}

function field(label: string, child: HTMLElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), child);
}

export function buildToolbar(events: ToolbarEvents): Toolbar {
  const layout = select('layout', 'Layout', LAYOUTS.map((l) => ({ value: l, text: LAYOUT_TITLES[l] })));
  const preset = select('preset', 'Window preset', [
    ...WINDOW_PRESETS.map((p) => ({ value: p.id, text: `${p.title}  W${p.width} L${p.level}` })),
    { value: MANUAL, text: 'Manual' },
  ]);
  const width = h('vscode-textfield', { id: 'window-width', type: 'number', 'aria-label': 'Window width', class: 'num' }) as ValueElement;
  const level = h('vscode-textfield', { id: 'window-level', type: 'number', 'aria-label': 'Window level', class: 'num' }) as ValueElement;
  const unit = h('span', { class: 'unit', id: 'window-unit' });
  const colormap = select('colormap', 'Colormap', [{ value: 'gray', text: 'gray' }]);
  const radiological = h('vscode-checkbox', { id: 'radiological', label: 'Radiological' }) as CheckElement;
  const overlayButton = h('vscode-button', { id: 'open-overlay', title: 'Show a label map over this image' }, 'Label overlay…');
  const headerButton = h('vscode-button', { id: 'toggle-header', secondary: true, title: 'Show or hide all header fields' }, 'Header');
  const resetButton = h('vscode-button', { id: 'reset-zoom', secondary: true, title: 'Reset zoom and pan (Ctrl+scroll zooms, middle or Shift+drag pans)' }, 'Fit');

  layout.addEventListener('change', () => events.layout(layout.value as Layout));
  preset.addEventListener('change', () => {
    if (preset.value !== MANUAL) events.preset(preset.value as WindowPresetId);
  });
  const manual = (): void => {
    const w = Number(width.value);
    const l = Number(level.value);
    if (w > 0 && Number.isFinite(l)) events.manualWindow(w, l);
  };
  width.addEventListener('change', manual);
  level.addEventListener('change', manual);
  colormap.addEventListener('change', () => events.colormap(colormap.value));
  radiological.addEventListener('change', () => events.radiological(radiological.checked));
  overlayButton.addEventListener('click', () => events.overlay());
  headerButton.addEventListener('click', () => events.header());
  resetButton.addEventListener('click', () => events.resetZoom());

  const element = h(
    'div',
    { id: 'toolbar', role: 'toolbar' },
    field('Layout', layout),
    h('div', { class: 'group' }, field('Window', preset), field('W', width), field('L', level), unit),
    field('Colormap', colormap),
    radiological,
    h('div', { class: 'spacer' }),
    resetButton,
    headerButton,
    overlayButton,
  );

  return {
    element,
    setLayout: (l) => (layout.value = l),
    setWindow: (w, l, id) => {
      width.value = String(Math.round(w));
      level.value = String(Math.round(l));
      preset.value = id ?? MANUAL;
    },
    setColormaps: (names, current) => {
      colormap.replaceChildren(...names.map((n) => h('vscode-option', { value: n }, n)));
      colormap.value = current;
    },
    setRadiological: (on) => (radiological.checked = on),
    setUnit: (u) => (unit.textContent = u),
  };
}
