/**
 * The compare report's figures as standalone SVG text (no DOM, no chart library: they are written to files and
 * viewed on GitHub or in the editor): Dice per arm with the sd over seeds, a per-organ heat map, and loss curves.
 */
import { escapeSvg as esc, svgDocument as svg, svgNumber as fmt } from '../svg.js';
import type { ModeTable } from './report.js';

/** Colours that stay apart for up to eight series (Okabe-Ito). */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

/** Bars of each arm's mean test Dice (over seeds) with +- sd whiskers, 0..1 on the y axis. */
export function dicePerArmSvg(table: ModeTable, title: string): string {
  const w = 120 + 90 * table.arms.length, h = 320, left = 50, top = 30, plotH = 220;
  const y = (v: number): number => top + plotH * (1 - Math.max(0, Math.min(1, v)));
  const body = [`<text x="${left}" y="18" font-weight="bold">${esc(title)}</text>`];
  for (let t = 0; t <= 10; t += 2) {
    body.push(`<line x1="${left}" x2="${w - 10}" y1="${fmt(y(t / 10))}" y2="${fmt(y(t / 10))}" stroke="#ddd"/>`, `<text x="${left - 6}" y="${fmt(y(t / 10) + 4)}" text-anchor="end">${(t / 10).toFixed(1)}</text>`);
  }
  table.arms.forEach((row, n) => {
    const x = left + 20 + 90 * n, m = row.overSeeds.mean, sd = Number.isFinite(row.overSeeds.sd) ? row.overSeeds.sd : 0;
    body.push(`<rect x="${x}" y="${fmt(y(m))}" width="60" height="${fmt(y(0) - y(m))}" fill="${PALETTE[n % PALETTE.length]}"/>`);
    body.push(`<line x1="${x + 30}" x2="${x + 30}" y1="${fmt(y(m - sd))}" y2="${fmt(y(m + sd))}" stroke="black"/>`);
    body.push(`<text x="${x + 30}" y="${fmt(y(m) - 6)}" text-anchor="middle">${(100 * m).toFixed(1)}</text>`);
    body.push(`<text x="${x + 30}" y="${top + plotH + 16}" text-anchor="middle">${esc(row.arm)}</text>`);
    body.push(`<text x="${x + 30}" y="${top + plotH + 30}" text-anchor="middle" fill="#666">n=${row.seeds.length}</text>`);
  });
  return svg(w, h, body);
}

/** Arms x organs, each cell's Dice as a shade of blue with its value in percent. */
export function perOrganSvg(table: ModeTable, classNames: readonly string[], title: string): string {
  const cell = 46, left = 110, top = 110;
  const w = left + cell * classNames.length + 10, h = top + cell * table.arms.length + 10;
  const body = [`<text x="10" y="18" font-weight="bold">${esc(title)}</text>`];
  classNames.forEach((name, k) => body.push(`<text transform="translate(${left + cell * k + cell / 2},${top - 6}) rotate(-50)">${esc(name)}</text>`));
  table.arms.forEach((row, n) => {
    body.push(`<text x="${left - 6}" y="${top + cell * n + cell / 2 + 4}" text-anchor="end">${esc(row.arm)}</text>`);
    classNames.forEach((name, k) => {
      const v = row.perOrgan[name];
      const known = v !== undefined && Number.isFinite(v);
      const shade = known ? Math.round(255 - 200 * v) : 235;
      body.push(`<rect x="${left + cell * k}" y="${top + cell * n}" width="${cell - 2}" height="${cell - 2}" fill="${known ? `rgb(${shade},${shade},255)` : '#eee'}"/>`);
      body.push(`<text x="${left + cell * k + cell / 2 - 1}" y="${top + cell * n + cell / 2 + 4}" text-anchor="middle" fill="${known && v > 0.6 ? 'white' : 'black'}">${known ? (100 * v).toFixed(0) : '-'}</text>`);
    });
  });
  return svg(w, h, body);
}

/** Mean over a sliding window of `width` steps (noisy per-step losses read better smoothed). */
export function movingAverage(values: readonly number[], width: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let n = 0; n < values.length; n++) {
    sum += values[n]!;
    if (n >= width) sum -= values[n - width]!;
    out.push(sum / Math.min(n + 1, width));
  }
  return out;
}

/**
 * One line per series (already smoothed or not), each normalised to its first value, so objectives on different
 * scales (eps MSE, reconstruction MSE, InfoNCE) share one axis: "how far has each loss fallen".
 */
export function lossCurvesSvg(series: readonly { readonly name: string; readonly losses: readonly number[] }[], title: string): string {
  const w = 640, h = 340, left = 50, top = 30, plotW = 440, plotH = 260;
  const usable = series.filter((s) => s.losses.length > 1 && s.losses[0]! > 0);
  const relative = usable.map((s) => s.losses.map((l) => l / s.losses[0]!));
  const yMax = Math.max(1, ...relative.flat().filter(Number.isFinite));
  const steps = Math.max(2, ...usable.map((s) => s.losses.length));
  const x = (n: number): number => left + (plotW * n) / (steps - 1);
  const y = (v: number): number => top + plotH * (1 - v / yMax);
  const body = [`<text x="${left}" y="18" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#888"/>`,
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#888"/>`,
    `<text x="${left - 6}" y="${fmt(y(1) + 4)}" text-anchor="end">1.0</text>`, `<text x="${left - 6}" y="${top + plotH + 4}" text-anchor="end">0</text>`,
    `<text x="${left + plotW / 2}" y="${h - 8}" text-anchor="middle">step (loss relative to the first)</text>`,
    `<text x="${left + plotW}" y="${top + plotH + 16}" text-anchor="end">${steps}</text>`];
  relative.forEach((values, n) => {
    const points = values.map((v, i) => `${fmt(x(i))},${fmt(y(v))}`).join(' ');
    const colour = PALETTE[n % PALETTE.length];
    body.push(`<polyline points="${points}" fill="none" stroke="${colour}" stroke-width="1.5"/>`);
    body.push(`<rect x="${left + plotW + 12}" y="${top + 18 * n}" width="12" height="12" fill="${colour}"/>`, `<text x="${left + plotW + 30}" y="${top + 18 * n + 10}">${esc(usable[n]!.name)}</text>`);
  });
  return svg(w, h, body);
}
