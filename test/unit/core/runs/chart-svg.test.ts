/**
 * The run monitor's SVG export (core/runs/chart-svg.ts): a 100k-step curve is thinned to a few points per pixel column
 * but keeps its lowest and highest points; a NaN breaks the line; labels are escaped; the document is well-formed XML
 * (read back by Python's xml.dom).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { chartSvg, niceTicks } from '../../../../src/core/runs/chart-svg.js';

const polylines = (svg: string): string[] => [...svg.matchAll(/<polyline points="([^"]*)"/g)].map((m) => m[1]!);

test('a 100k-step loss curve is thinned per pixel column and keeps its extremes', () => {
  const n = 100_000;
  const x = Array.from({ length: n }, (_, i) => i + 1);
  const y = x.map((s) => 2 * Math.exp(-s / 20_000) + 0.05 * Math.sin(s));
  y[54_321] = 3.5; // one spike: must survive the thinning
  y[77_777] = -0.2;
  const started = performance.now();
  const svg = chartSvg({ title: 'Loss', xLabel: 'step', series: [{ label: 'loss', colour: '#3794ff', x, y }] });
  const ms = performance.now() - started;
  const [line] = polylines(svg);
  const points = line!.split(' ').map((p) => p.split(',').map(Number) as [number, number]);
  const plotWidth = 720 - 70 - 200;
  assert.ok(points.length <= 4 * (plotWidth + 1), `${points.length} points for ${plotWidth} px`);
  assert.ok(points.length > plotWidth, 'every column keeps at least one point');
  const ys = points.map((p) => p[1]);
  // The y axis spans the round ticks around [-0.2, 3.5] (-1 .. 4); screen y grows downwards from the plot's top (34,
  // 282 px high): the spike must be the smallest screen y, the dip the largest.
  assert.deepEqual(niceTicks(-0.2, 3.5), [-1, 0, 1, 2, 3, 4]);
  const screenY = (v: number): number => Math.round((34 + 282 * (1 - (v + 1) / 5)) * 10) / 10;
  assert.equal(Math.min(...ys), screenY(3.5), 'the spike survives the thinning');
  assert.equal(Math.max(...ys), screenY(-0.2), 'the dip survives the thinning');
  assert.ok(svg.length < 400_000, `${svg.length} bytes`);
  assert.ok(ms < 1000, `${ms.toFixed(0)} ms`);
});

test('a NaN is stepped over as on screen, short series get dots, dashes and widths are kept, labels are escaped, and Python reads it as XML', (t) => {
  const svg = chartSvg({
    title: 'Dice <val> & "more"', xLabel: 'step', exponent: true,
    series: [
      { label: 'mean', colour: '#111', width: 3, x: [1, 2, 3, 4, 5], y: [0.1, 0.2, NaN, 0.4, 0.5] },
      { label: 'left <kidney>', colour: 'hsl(30, 65%, 40%)', dash: [4, 3], width: 1, x: [1, 5], y: [0.0003, 0.0004] },
    ],
  });
  assert.equal(polylines(svg).length, 2, 'one line per series');
  assert.equal(polylines(svg)[0]!.split(' ').length, 4, 'the NaN is stepped over');
  assert.equal([...svg.matchAll(/<circle /g)].length, 4 + 2, 'a dot per point of the short series');
  assert.match(svg, /stroke-dasharray="4 3"/);
  assert.match(svg, /stroke-width="3"/);
  assert.ok(svg.includes('Dice &lt;val&gt; &amp; &quot;more&quot;') && svg.includes('left &lt;kidney&gt;'));
  assert.match(svg, />\d\.\de-\d</, 'exponent tick labels');
  const python = spawnSync('/usr/bin/python3', ['-c', 'import sys, xml.dom.minidom; d = xml.dom.minidom.parseString(sys.stdin.read()); print(len(d.getElementsByTagName("polyline")))'], { input: svg, encoding: 'utf8' });
  if (python.error) return t.skip('no /usr/bin/python3');
  assert.equal(python.status, 0, python.stderr);
  assert.equal(python.stdout.trim(), '2');
});

test('an empty chart says so; ticks are round and cover the range', () => {
  assert.match(chartSvg({ title: 'Loss', xLabel: 'step', series: [{ label: 'loss', colour: '#000', x: [], y: [] }] }), /no points yet/);
  assert.deepEqual(niceTicks(0.13, 0.87), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(1, 600), [0, 200, 400, 600]);
  const ticks = niceTicks(0.00012, 0.00031);
  assert.ok(ticks[0]! <= 0.00012 && ticks.at(-1)! >= 0.00031 && ticks.length <= 12);
  // a range of a few ulps (a constant learning rate computed two ways) ends, with its two ends
  assert.deepEqual(niceTicks(0.0003, 0.1 * 0.003), [0.0003, 0.1 * 0.003]);
  assert.deepEqual(niceTicks(2, 2), [2]);
});
