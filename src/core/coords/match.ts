/**
 * "The same anatomical point in another scan" (`anadiff coords match`): the voxel of B whose coordinates are
 * closest (Euclidean) to a query's. Coordinates are channel-major [3, voxels]; a mask limits the search (the body).
 */
export interface CoordinateMatch {
  /** Flat voxel index in B (i fastest). */
  readonly index: number;
  /** Distance in coordinate units between the query and the match. */
  readonly distance: number;
}

export function nearestCoordinate(coords: Float32Array, query: readonly [number, number, number], mask?: Uint8Array): CoordinateMatch {
  const n = coords.length / 3;
  if (!Number.isInteger(n) || n === 0) throw new Error(`nearestCoordinate: ${coords.length} values are not [3, voxels]`);
  if (mask && mask.length !== n) throw new Error(`nearestCoordinate: mask has ${mask.length} voxels, coordinates ${n}`);
  const [q0, q1, q2] = query;
  const c1 = n, c2 = 2 * n;
  let best = -1, bestD = Infinity;
  for (let v = 0; v < n; v++) {
    if (mask && !mask[v]) continue;
    const d0 = coords[v]! - q0, d1 = coords[c1 + v]! - q1, d2 = coords[c2 + v]! - q2;
    const d = d0 * d0 + d1 * d1 + d2 * d2;
    if (d < bestD) { bestD = d; best = v; }
  }
  if (best < 0) throw new Error('nearestCoordinate: the search region is empty');
  return { index: best, distance: Math.sqrt(bestD) };
}

/** The coordinates of voxel `index`. */
export function coordinateAt(coords: Float32Array, index: number): [number, number, number] {
  const n = coords.length / 3;
  return [coords[index]!, coords[n + index]!, coords[2 * n + index]!];
}
