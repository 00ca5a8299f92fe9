/**
 * Exact squared Euclidean distance transform in millimetres (Felzenszwalb & Huttenlocher 2012, separable lower
 * envelope of parabolas), the same quantity as scipy's `distance_transform_edt(~features, sampling=spacing) ** 2`.
 */
export function squaredDistanceToFeatures(features: Uint8Array, dims: readonly [number, number, number], spacingMm: readonly [number, number, number]): Float64Array {
  const [nx, ny, nz] = dims;
  const d = new Float64Array(features.length);
  for (let n = 0; n < d.length; n++) d[n] = features[n] ? 0 : Infinity;
  const longest = Math.max(nx, ny, nz);
  const f = new Float64Array(longest), out = new Float64Array(longest);
  const v = new Int32Array(longest), z = new Float64Array(longest + 1);
  const strides = [1, nx, nx * ny];
  for (let axis = 0; axis < 3; axis++) {
    const n = dims[axis]!, stride = strides[axis]!, s = spacingMm[axis]!;
    const others = [0, 1, 2].filter((a) => a !== axis) as [number, number];
    for (let q = 0; q < dims[others[1]]!; q++) {
      for (let p = 0; p < dims[others[0]]!; p++) {
        const base = p * strides[others[0]]! + q * strides[others[1]]!;
        for (let t = 0; t < n; t++) f[t] = d[base + t * stride]!;
        lowerEnvelope(f, n, s, out, v, z);
        for (let t = 0; t < n; t++) d[base + t * stride] = out[t]!;
      }
    }
  }
  return d;
}

/** 1D pass: out[t] = min_q ((t - q) * s)^2 + f[q]. Positions with f = Infinity never become parabola sites. */
function lowerEnvelope(f: Float64Array, n: number, s: number, out: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    if (f[q] === Infinity) continue;
    const xq = q * s;
    while (k >= 0) {
      const xv = v[k]! * s;
      const inter = (f[q]! + xq * xq - (f[v[k]!]! + xv * xv)) / (2 * (xq - xv));
      if (inter <= z[k]!) k--;
      else { k++; v[k] = q; z[k] = inter; z[k + 1] = Infinity; break; }
    }
    if (k < 0) { k = 0; v[0] = q; z[0] = -Infinity; z[1] = Infinity; }
  }
  if (k < 0) { out.fill(Infinity, 0, n); return; }
  let j = 0;
  for (let t = 0; t < n; t++) {
    const x = t * s;
    while (z[j + 1]! < x) j++;
    const dx = x - v[j]! * s;
    out[t] = dx * dx + f[v[j]!]!;
  }
}
