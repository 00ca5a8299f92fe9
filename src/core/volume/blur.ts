// Separable Gaussian blur of a 3-D volume (x fastest), shared by the augmentations and the synthetic CT generator.

/** Normalised 1D Gaussian kernel (radius ceil(3 sigma)); [1] when sigma is negligible. */
export function gaussianKernel(sigma: number): Float32Array {
  if (!(sigma > 0.05)) return Float32Array.of(1);
  const r = Math.ceil(3 * sigma);
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let x = -r; x <= r; x++) sum += k[x + r] = Math.exp(-(x * x) / (2 * sigma * sigma));
  for (let x = 0; x < k.length; x++) k[x]! /= sum;
  return k;
}

/** Separable Gaussian blur in place, sigma in voxels per axis; borders replicate the edge voxel. */
export function gaussianBlurInPlace(data: Float32Array, dims: readonly [number, number, number], sigmaVox: readonly [number, number, number]): void {
  const strides = [1, dims[0], dims[0] * dims[1]] as const;
  for (let axis = 0; axis < 3; axis++) {
    const kernel = gaussianKernel(sigmaVox[axis]!);
    if (kernel.length === 1) continue;
    const n = dims[axis]!, stride = strides[axis]!, r = (kernel.length - 1) / 2;
    const line = new Float32Array(n);
    const [a, b] = [0, 1, 2].filter((x) => x !== axis) as [number, number];
    for (let q = 0; q < dims[b]!; q++) {
      for (let p = 0; p < dims[a]!; p++) {
        const base = p * strides[a]! + q * strides[b]!;
        for (let x = 0; x < n; x++) line[x] = data[base + x * stride]!;
        for (let x = 0; x < n; x++) {
          let s = 0;
          for (let t = -r; t <= r; t++) {
            const y = x + t < 0 ? 0 : x + t >= n ? n - 1 : x + t;
            s += kernel[t + r]! * line[y]!;
          }
          data[base + x * stride] = s;
        }
      }
    }
  }
}

