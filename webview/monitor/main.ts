/**
 * The run monitor (host side: src/extension/runs/monitor-panel.ts; messages: src/protocol/monitor.ts). Charts with
 * uPlot (about 50 KB minified, canvas, fast with 100k points): loss and learning rate per step of every shown run,
 * validation Dice per organ of the focused run plus every run's mean Dice, and a table of the latest Dice. Colours come
 * from VS Code's theme variables and follow theme changes. Each chart's element carries `data-points` (points drawn),
 * which the end-to-end test reads.
 */
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css';
import type { StepLine, ValidationLine } from '../../src/core/runs/metrics.js';
import { alignCurves, type Curve } from '../../src/core/runs/align.js';
import { chartSvg } from '../../src/core/runs/chart-svg.js';
import { describeRun, type RunSummary } from '../../src/core/runs/summary.js';
import type { HostToMonitor, MonitorState, MonitorToHost } from '../../src/protocol/monitor.js';

interface VsCodeApi {
  postMessage(message: MonitorToHost): void;
  setState(state: MonitorState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

interface ShownRun {
  readonly id: string;
  summary: RunSummary;
  steps: StepLine[];
  validations: ValidationLine[];
  readonly colorSlot: number;
}

const runs = new Map<string, ShownRun>();
let focusId: string | undefined;
let nextSlot = 0;

const RUN_COLOURS = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'];
const FALLBACK = ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'];

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}
const runColour = (slot: number): string => cssVar(RUN_COLOURS[slot % RUN_COLOURS.length]!, FALLBACK[slot % FALLBACK.length]!);
/** Organ curves: evenly spaced hues, lightness from the theme (lighter on dark backgrounds). */
function organColour(index: number, count: number): string {
  const dark = document.body.classList.contains('vscode-dark') || document.body.classList.contains('vscode-high-contrast');
  return `hsl(${Math.round((360 * index) / Math.max(1, count))}, 65%, ${dark ? 65 : 40}%)`;
}

function injectStyle(): void {
  const nonce = document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce ?? '';
  const style = document.createElement('style');
  style.nonce = nonce;
  style.textContent = uplotCss;
  document.head.appendChild(style);
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---- layout ----
const app = document.getElementById('app')!;
app.textContent = '';
const legend = el('div', 'legend');
legend.id = 'legend';
const charts = el('div', 'charts');
const table = el('table', 'dice-table');
table.id = 'dice-table';
const tableTitle = el('h3', undefined, 'Latest validation Dice');
app.append(legend, charts, tableTitle, table);

interface ChartSlot {
  readonly id: string;
  readonly title: string;
  readonly box: HTMLDivElement;
  /** The chart's section (title and plot), hidden when it has nothing to show. */
  readonly wrap: HTMLElement;
  plot: uPlot | undefined;
  /** Series labels of the current plot: rebuilt when they change, data only otherwise. */
  key: string;
  /** Tick labels as 3.0e-4 (learning rates). */
  readonly exponent: boolean;
  /** What the chart shows now (for the PNG and SVG exports). */
  specs: SeriesSpec[];
}

function chartSlot(id: string, title: string, exponent: boolean): ChartSlot {
  const wrap = el('section', 'chart');
  const head = el('div', 'chart-head');
  head.append(el('h3', undefined, title));
  const box = el('div', 'plot');
  box.id = id;
  box.dataset.points = '0';
  wrap.append(head, box);
  charts.append(wrap);
  const slot: ChartSlot = { id, title, box, wrap, plot: undefined, key: '', exponent, specs: [] };
  for (const format of ['png', 'svg'] as const) {
    const button = el('button', 'export', format.toUpperCase());
    button.dataset.format = format;
    button.title = `Save this chart as ${format.toUpperCase()}`;
    button.addEventListener('click', () => exportChart(slot, format));
    head.append(button);
  }
  return slot;
}

/** The file name a chart is offered under: the shown run (or "runs" for several) and the chart. */
function exportName(slot: ChartSlot): string {
  const shown = [...runs.keys()];
  return `${shown.length === 1 ? short(shown[0]!) : 'runs'}-${slot.id.replace(/^chart-/, '')}`;
}

/**
 * PNG: the chart's canvas as drawn (uPlot draws series and axes on it), under its title and above a legend, on the
 * theme's background. SVG: the same series as a standalone figure (core/runs/chart-svg.ts).
 */
function exportChart(slot: ChartSlot, format: 'png' | 'svg'): void {
  const name = exportName(slot);
  if (format === 'svg') {
    const series = slot.specs.map((sp) => ({ label: sp.label, colour: sp.colour, ...(sp.dash ? { dash: sp.dash } : {}), width: sp.width ?? 1.5, x: sp.curve.x, y: sp.curve.y }));
    vscode.postMessage({ type: 'export', format, name, data: chartSvg({ title: slot.title, xLabel: 'step', series, exponent: slot.exponent }) });
    return;
  }
  const source = slot.plot?.ctx.canvas;
  if (!source) return;
  const ratio = source.width / Math.max(1, slot.plot!.width);
  const lineHeight = Math.round(18 * ratio), titleHeight = Math.round(28 * ratio);
  const out = document.createElement('canvas');
  out.width = source.width;
  out.height = titleHeight + source.height + lineHeight * slot.specs.length + Math.round(8 * ratio);
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = cssVar('--vscode-editor-background', '#1e1e1e');
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = cssVar('--vscode-foreground', '#ccc');
  ctx.font = `bold ${Math.round(14 * ratio)}px sans-serif`;
  ctx.fillText(slot.title, Math.round(8 * ratio), Math.round(19 * ratio));
  ctx.drawImage(source, 0, titleHeight);
  ctx.font = `${Math.round(12 * ratio)}px sans-serif`;
  slot.specs.forEach((sp, n) => {
    const y = titleHeight + source.height + lineHeight * n + Math.round(12 * ratio);
    ctx.strokeStyle = sp.colour;
    ctx.lineWidth = Math.max(2, sp.width ?? 1.5) * ratio;
    ctx.setLineDash((sp.dash ?? []).map((d) => d * ratio));
    ctx.beginPath();
    ctx.moveTo(Math.round(8 * ratio), y - Math.round(4 * ratio));
    ctx.lineTo(Math.round(30 * ratio), y - Math.round(4 * ratio));
    ctx.stroke();
    ctx.fillStyle = cssVar('--vscode-foreground', '#ccc');
    ctx.fillText(sp.label, Math.round(36 * ratio), y);
  });
  vscode.postMessage({ type: 'export', format, name, data: out.toDataURL('image/png').replace(/^data:image\/png;base64,/, '') });
}

const lossChart = chartSlot('chart-loss', 'Loss', false);
const lrChart = chartSlot('chart-lr', 'Learning rate', true);
const diceChart = chartSlot('chart-dice', 'Validation Dice', false);

interface SeriesSpec {
  readonly label: string;
  readonly colour: string;
  readonly dash?: number[];
  readonly width?: number;
  readonly curve: Curve;
}

function draw(slot: ChartSlot, specs: SeriesSpec[]): void {
  slot.specs = specs;
  const data = alignCurves(specs.map((s) => s.curve));
  let points = 0;
  for (const s of specs) points += s.curve.x.length;
  slot.box.dataset.points = String(points);
  slot.box.dataset.series = String(specs.length);
  const width = Math.max(240, slot.box.clientWidth || 400);
  const key = specs.map((s) => `${s.label}|${s.colour}`).join(';') + `|${width}`;
  if (slot.plot && slot.key === key) {
    slot.plot.setData(data as uPlot.AlignedData);
    return;
  }
  slot.plot?.destroy();
  slot.key = key;
  const fg = cssVar('--vscode-foreground', '#ccc');
  const grid = cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)');
  const axis: uPlot.Axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  slot.plot = new uPlot(
    {
      width,
      height: 220,
      legend: { show: specs.length <= 16 },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      axes: [
        { ...axis, label: 'step' },
        { ...axis, size: 60, ...(slot.exponent ? { values: (_u: uPlot, ticks: number[]) => ticks.map((t) => (t === 0 ? '0' : t.toExponential(1))) } : {}) },
      ],
      series: [
        { label: 'step' },
        ...specs.map((s): uPlot.Series => ({ label: s.label, stroke: s.colour, width: s.width ?? 1.5, spanGaps: true, points: { show: s.curve.x.length < 40 }, ...(s.dash ? { dash: s.dash } : {}) })),
      ],
    },
    data as uPlot.AlignedData,
    slot.box,
  );
}

const short = (id: string): string => id.split(/[\\/]/).pop() ?? id;

function render(): void {
  const shown = [...runs.values()];
  const many = shown.length > 1;
  draw(lossChart, shown.map((r) => ({ label: many ? short(r.id) : 'loss', colour: runColour(r.colorSlot), curve: { x: r.steps.map((s) => s.step), y: r.steps.map((s) => s.loss) } })));
  draw(lrChart, shown.map((r) => {
    const withLr = r.steps.filter((s) => s.lr !== undefined);
    return { label: many ? short(r.id) : 'lr', colour: runColour(r.colorSlot), curve: { x: withLr.map((s) => s.step), y: withLr.map((s) => s.lr!) } };
  }));
  const focus = focusId ? runs.get(focusId) : undefined;
  const organs = focus ? organNames(focus) : [];
  draw(diceChart, [
    ...shown.map((r) => ({ label: `${many ? short(r.id) + ' ' : ''}mean`, colour: runColour(r.colorSlot), width: 3, curve: { x: r.validations.map((v) => v.step), y: r.validations.map((v) => v.meanDice) } })),
    ...organs.map((name, i) => ({
      label: name, colour: organColour(i, organs.length), dash: [4, 3], width: 1,
      curve: { x: focus!.validations.filter((v) => v.dice[name] !== undefined).map((v) => v.step), y: focus!.validations.filter((v) => v.dice[name] !== undefined).map((v) => v.dice[name]!) },
    })),
  ]);
  // Runs without validation (pretraining, coordinates) get no Dice chart and table rather than empty ones.
  const validates = shown.some((r) => r.validations.length > 0 || r.summary.classNames.length > 0);
  for (const e of [diceChart.wrap, tableTitle, table]) e.hidden = !validates;
  renderLegend(shown);
  renderTable(shown);
}

function organNames(r: ShownRun): string[] {
  const names = [...r.summary.classNames];
  for (const v of r.validations) for (const k of Object.keys(v.dice)) if (!names.includes(k)) names.push(k);
  return names;
}

function renderLegend(shown: ShownRun[]): void {
  legend.textContent = '';
  if (shown.length === 0) legend.append(el('span', 'empty', 'No runs shown: Open Run Monitor on a run in the Runs view.'));
  for (const r of shown) {
    const item = el('div', `run${r.id === focusId ? ' focus' : ''}`);
    item.dataset.status = r.summary.status;
    item.title = r.id === focusId ? 'Organ curves show this run' : 'Click to show this run\'s organ curves';
    const swatch = el('span', 'swatch');
    swatch.style.background = runColour(r.colorSlot);
    const name = el('span', 'name', short(r.id));
    const status = el('span', 'status', describeRun(r.summary));
    const close = el('button', 'close', '×');
    close.title = 'Remove from the monitor';
    close.addEventListener('click', (e) => {
      e.stopPropagation();
      runs.delete(r.id);
      if (focusId === r.id) focusId = [...runs.keys()].pop();
      vscode.postMessage({ type: 'hideRun', runId: r.id });
      schedule();
    });
    item.addEventListener('click', () => {
      focusId = r.id;
      schedule();
    });
    item.append(swatch, name, status, close);
    legend.append(item);
  }
}

function renderTable(shown: ShownRun[]): void {
  table.textContent = '';
  const names: string[] = [];
  for (const r of shown) for (const n of organNames(r)) if (!names.includes(n)) names.push(n);
  const head = el('tr');
  head.append(el('th', undefined, 'organ'), ...shown.map((r) => el('th', undefined, short(r.id))));
  table.append(head);
  const latest = shown.map((r) => r.validations[r.validations.length - 1]);
  const meanRow = el('tr', 'mean');
  meanRow.append(el('td', undefined, 'mean'), ...latest.map((v) => el('td', 'num', v ? v.meanDice.toFixed(3) : '–')));
  table.append(meanRow);
  for (const n of names) {
    const row = el('tr');
    row.append(el('td', undefined, n), ...latest.map((v) => el('td', 'num', v?.dice[n] !== undefined ? v.dice[n].toFixed(3) : '–')));
    table.append(row);
  }
}

// Appends can arrive once per step: draw at most once per frame. The shown runs are kept with VS Code, so a window
// reload brings the monitor back with them (the host's serializer reads the state).
let pending = false;
function schedule(): void {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    vscode.setState({ runIds: [...runs.keys()] });
    render();
  });
}

window.addEventListener('message', (event: MessageEvent<HostToMonitor>) => {
  const m = event.data;
  switch (m.type) {
    case 'run': {
      const existing = runs.get(m.runId);
      runs.set(m.runId, { id: m.runId, summary: m.summary, steps: [...m.steps], validations: [...m.validations], colorSlot: existing?.colorSlot ?? nextSlot++ });
      focusId = m.runId;
      break;
    }
    case 'append': {
      const r = runs.get(m.runId);
      if (!r) return;
      r.summary = m.summary;
      r.steps.push(...m.steps);
      r.validations.push(...m.validations);
      break;
    }
    case 'removeRun':
      runs.delete(m.runId);
      if (focusId === m.runId) focusId = [...runs.keys()].pop();
      break;
    default: {
      const never: never = m;
      throw new Error(`unknown message ${JSON.stringify(never)}`);
    }
  }
  schedule();
});

// A theme change swaps the body's class: rebuild the plots with the new colours.
new MutationObserver(() => {
  for (const slot of [lossChart, lrChart, diceChart]) slot.key = '';
  schedule();
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });
new ResizeObserver(() => schedule()).observe(charts);

injectStyle();
render();
vscode.postMessage({ type: 'ready' });
