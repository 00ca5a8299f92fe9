/**
 * A run-monitor chart as a standalone SVG (the monitor's "SVG" export): the same series, colours and dashes as on
 * screen, axes with round ticks, a legend. As on screen, a missing value is stepped over (the line joins the points
 * either side) and a series of fewer than 40 points also gets a dot per point. Long runs are thinned per pixel column
 * to the first, lowest, highest and last point of each column, so a 100k-step loss curve keeps its envelope in a file
 * of a few hundred KB.
 */
import { escapeSvg as esc, svgDocument, svgNumber as fmt } from '../svg.js';

export interface ChartSeries {
  readonly label: string;
  readonly colour: string;
  readonly dash?: readonly number[];
  readonly width?: number;
  readonly x: readonly number[];
  readonly y: readonly number[];
}

export interface ChartSvgOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly series: readonly ChartSeries[];
  /** Tick labels as 3.0e-4 (learning rates). */
  readonly exponent?: boolean;
  readonly width?: number;
  readonly height?: number;
}

export function chartSvg(o: ChartSvgOptions): string {
  const width = o.width ?? 720, height = o.height ?? 360;
  const left = 70, top = 34, right = 200, bottom = 44;
  const plotW = width - left - right, plotH = height - top - bottom;
  const finite = o.series.flatMap((s) => s.x.map((x, i) => [x, s.y[i]!] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const body = [`<text x="${left}" y="20" font-weight="bold">${esc(o.title)}</text>`];
  if (finite.length === 0) {
    body.push(`<text x="${left}" y="${top + plotH / 2}">no points yet</text>`);
    return svgDocument(width, height, body);
  }
  const [x0, x1] = span(finite.map(([x]) => x));
  const [y0, y1] = span(finite.map(([, y]) => y));
  const xTicks = niceTicks(x0, x1), yTicks = niceTicks(y0, y1);
  const xs = [Math.min(x0, xTicks[0]!), Math.max(x1, xTicks.at(-1)!)] as const;
  const ys = [Math.min(y0, yTicks[0]!), Math.max(y1, yTicks.at(-1)!)] as const;
  const px = (x: number): number => left + (plotW * (x - xs[0])) / (xs[1] - xs[0]);
  const py = (y: number): number => top + plotH * (1 - (y - ys[0]) / (ys[1] - ys[0]));
  const label = (v: number): string => (o.exponent ? (v === 0 ? '0' : v.toExponential(1)) : String(Number(v.toPrecision(6))));
  for (const t of yTicks) {
    body.push(`<line x1="${left}" x2="${left + plotW}" y1="${fmt(py(t))}" y2="${fmt(py(t))}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${fmt(py(t) + 4)}" text-anchor="end">${esc(label(t))}</text>`);
  }
  for (const t of xTicks) body.push(`<text x="${fmt(px(t))}" y="${top + plotH + 16}" text-anchor="middle">${esc(String(Number(t.toPrecision(6))))}</text>`);
  body.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
    `<text x="${left + plotW / 2}" y="${height - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  o.series.forEach((s, n) => {
    const dash = s.dash?.length ? ` stroke-dasharray="${s.dash.join(' ')}"` : '';
    const shown = finitePoints(s);
    if (shown.length > 0) {
      const points = thin(shown, px, plotW).map(([x, y]) => `${fmt(px(x))},${fmt(py(y))}`).join(' ');
      body.push(`<polyline points="${points}" fill="none" stroke="${esc(s.colour)}" stroke-width="${s.width ?? 1.5}"${dash}/>`);
    }
    if (shown.length < 40) for (const [x, y] of shown) body.push(`<circle cx="${fmt(px(x))}" cy="${fmt(py(y))}" r="2.5" fill="${esc(s.colour)}"/>`);
    const ly = top + 16 * n;
    if (ly < top + plotH) {
      body.push(`<line x1="${left + plotW + 12}" x2="${left + plotW + 32}" y1="${ly + 6}" y2="${ly + 6}" stroke="${esc(s.colour)}" stroke-width="${Math.max(2, s.width ?? 1.5)}"${dash}/>`,
        `<text x="${left + plotW + 38}" y="${ly + 10}">${esc(s.label)}</text>`);
    }
  });
  return svgDocument(width, height, body);
}

function span(values: readonly number[]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) return [lo - (Math.abs(lo) || 1) * 0.5, hi + (Math.abs(hi) || 1) * 0.5];
  return [lo, hi];
}

/**
 * About five ticks at 1, 2 or 5 times a power of ten, covering [lo, hi]. Counted as first + k * step (never by adding
 * step to itself), and a range too narrow for a float step (a few ulps) gets its two ends.
 */
export function niceTicks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 5;
  if (!(raw > 0) || !Number.isFinite(raw) || lo + raw === lo) return lo === hi ? [lo] : [lo, hi];
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const first = Math.floor(lo / step), last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last && ticks.length < 12; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

/** A series' finite points, in order (the monitor's uPlot spans gaps: a NaN is stepped over, not a break). */
function finitePoints(s: ChartSeries): [number, number][] {
  const out: [number, number][] = [];
  s.x.forEach((x, i) => {
    const y = s.y[i]!;
    if (Number.isFinite(x) && Number.isFinite(y)) out.push([x, y]);
  });
  return out;
}

/** Keeps each pixel column's first, lowest, highest and last point (in x order): at most 4 per column. */
export function thin(points: readonly [number, number][], px: (x: number) => number, columns: number): [number, number][] {
  if (points.length <= 4 * columns) return [...points];
  const out: [number, number][] = [];
  let column = NaN;
  let bucket: [number, number][] = [];
  const flush = (): void => {
    if (bucket.length === 0) return;
    const first = bucket[0]!, last = bucket.at(-1)!;
    let lo = first, hi = first;
    for (const p of bucket) {
      if (p[1] < lo[1]) lo = p;
      if (p[1] > hi[1]) hi = p;
    }
    const keep = [first, lo, hi, last].filter((p, i, all) => all.indexOf(p) === i).sort((a, b) => a[0] - b[0]);
    out.push(...keep);
    bucket = [];
  };
  for (const p of points) {
    const c = Math.floor(px(p[0]));
    if (c !== column) {
      flush();
      column = c;
    }
    bucket.push(p);
  }
  flush();
  return out;
}
