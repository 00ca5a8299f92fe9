import type { Mat4 } from '../volume/mat4.js';
import { ANATOMY, FIELD_OF_VIEW, type Shape } from './anatomy.js';

export { ANATOMY, BTCV13_LABELS, FIELD_OF_VIEW, type Shape } from './anatomy.js';

export type PhantomSize = 'small' | 'large';

/** Grid size per preset; the field of view is fixed, so spacing follows (small: 2.5 x 2.5 x 4.7 mm, large: 0.78 x 0.63 x 1 mm). */
export const PHANTOM_DIMS: Readonly<Record<PhantomSize, readonly [number, number, number]>> = {
  small: [160, 128, 64],
  large: [512, 512, 300],
};

export interface PhantomVolume<T extends Int16Array | Uint8Array> {
  readonly dims: [number, number, number];
  readonly ijkToRas: Mat4;
  readonly data: T;
}

export interface Phantom {
  /** CT in Hounsfield units, int16. */
  readonly image: PhantomVolume<Int16Array>;
  /** BTCV-13 organ labels on the same grid, uint8. */
  readonly labels: PhantomVolume<Uint8Array>;
  readonly description: string;
}

/** Noise standard deviation in HU, about what a low-dose abdominal CT shows in soft tissue. */
const NOISE_SD_HU = 12;
const AIR_HU = -1000;

/**
 * A deterministic CT-like abdominal phantom (same seed, same voxels) stored LPS like a DICOM-derived CT:
 * i grows to the patient's left, j posterior, k superior. For tests, demos and the loader benchmark.
 */
export function makePhantom(options: { size?: PhantomSize; seed?: number } = {}): Phantom {
  const dims = [...PHANTOM_DIMS[options.size ?? 'small']] as [number, number, number];
  const spacing = dims.map((n, a) => (FIELD_OF_VIEW[a] as number) / n) as [number, number, number];
  // LPS storage: x = -(i * sx) + ox, y = -(j * sy) + oy, so the RAS affine has negative x and y columns.
  const origin = [((dims[0] - 1) * spacing[0]) / 2, ((dims[1] - 1) * spacing[1]) / 2, (-(dims[2] - 1) * spacing[2]) / 2];
  const ijkToRas: Mat4 = [-spacing[0], 0, 0, origin[0] as number, 0, -spacing[1], 0, origin[1] as number, 0, 0, spacing[2], origin[2] as number, 0, 0, 0, 1];

  const count = dims[0] * dims[1] * dims[2];
  const hu = new Int16Array(count).fill(AIR_HU);
  const labels = new Uint8Array(count);
  for (const shape of ANATOMY) paint(shape, dims, ijkToRas, hu, labels);
  addNoise(hu, options.seed ?? 1);
  return {
    image: { dims, ijkToRas, data: hu },
    labels: { dims, ijkToRas: [...ijkToRas], data: labels },
    description: `anadiff abdominal phantom ${dims.join('x')} seed ${options.seed ?? 1}`,
  };
}

/** Paints one shape over its bounding box only; the affine is diagonal, so world -> voxel is per axis. */
function paint(shape: Shape, dims: readonly [number, number, number], ijkToRas: Mat4, hu: Int16Array, labels: Uint8Array): void {
  const scale = [ijkToRas[0] as number, ijkToRas[5] as number, ijkToRas[10] as number];
  const offset = [ijkToRas[3] as number, ijkToRas[7] as number, ijkToRas[11] as number];
  const range = [0, 1, 2].map((a) => {
    const lo = (shape.center[a]! - shape.radii[a]! - offset[a]!) / scale[a]!;
    const hi = (shape.center[a]! + shape.radii[a]! - offset[a]!) / scale[a]!;
    return [Math.max(0, Math.floor(Math.min(lo, hi))), Math.min(dims[a]! - 1, Math.ceil(Math.max(lo, hi)))] as const;
  });
  const [cx, cy, cz] = shape.center;
  const [rx, ry, rz] = shape.radii;
  const nx = dims[0], nxy = dims[0] * dims[1];
  for (let k = range[2]![0]; k <= range[2]![1]; k++) {
    const dz = (k * scale[2]! + offset[2]! - cz) / rz;
    const zTerm = shape.kind === 'ellipsoid' ? dz * dz : Math.abs(dz) <= 1 ? 0 : 2;
    if (zTerm > 1) continue;
    for (let j = range[1]![0]; j <= range[1]![1]; j++) {
      const dy = (j * scale[1]! + offset[1]! - cy) / ry;
      const yzTerm = zTerm + dy * dy;
      if (yzTerm > 1) continue;
      let index = k * nxy + j * nx + range[0]![0];
      for (let i = range[0]![0]; i <= range[0]![1]; i++, index++) {
        const dx = (i * scale[0]! + offset[0]! - cx) / rx;
        if (yzTerm + dx * dx > 1) continue;
        hu[index] = shape.hu;
        labels[index] = shape.label;
      }
    }
  }
}

/** Adds approximately Gaussian noise (sum of four uniforms) from a seeded mulberry32 generator, clamped to int16. */
function addNoise(hu: Int16Array, seed: number): void {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // Sum of 4 uniforms has variance 4/12; scale to NOISE_SD_HU.
  const gain = NOISE_SD_HU / Math.sqrt(4 / 12);
  for (let i = 0; i < hu.length; i++) {
    const noise = (next() + next() + next() + next() - 2) * gain;
    hu[i] = Math.max(-32768, Math.min(32767, Math.round((hu[i] as number) + noise)));
  }
}
