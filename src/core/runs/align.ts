/**
 * Several curves with their own x values (steps of overlaid runs, or validation steps) onto one shared, sorted x
 * axis, as chart libraries such as uPlot want them: `[xs, ys0, ys1, ...]`, with null where a curve has no point.
 */
export interface Curve {
  readonly x: readonly number[];
  readonly y: readonly number[];
}

export type AlignedData = [number[], ...(number | null)[][]];

export function alignCurves(curves: readonly Curve[]): AlignedData {
  const xsSet = new Set<number>();
  for (const c of curves) for (const x of c.x) xsSet.add(x);
  const xs = [...xsSet].sort((a, b) => a - b);
  const at = new Map<number, number>();
  xs.forEach((x, i) => at.set(x, i));
  const ys = curves.map((c) => {
    const y: (number | null)[] = new Array<number | null>(xs.length).fill(null);
    for (let i = 0; i < c.x.length; i++) y[at.get(c.x[i]!)!] = c.y[i]!;
    return y;
  });
  return [xs, ...ys];
}
