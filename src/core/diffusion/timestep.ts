/**
 * The sinusoidal timestep embedding of DDPM (Ho et al. 2020; the Transformer's positional encoding), computed on the
 * host for the batch's timesteps and fed to the step graph as data [B, dim]: it is a fixed function of t with no
 * parameters, so it needs no gradient and no graph op. Layout as diffusers' get_timestep_embedding with its defaults
 * (flip_sin_to_cos false, downscale_freq_shift 1): [sin(t f_0), ..., sin(t f_{h-1}), cos(t f_0), ..., cos(t f_{h-1})],
 * f_j = maxPeriod^(-j / (h - 1)), h = dim / 2.
 */

export const DEFAULT_MAX_PERIOD = 10000;

export function timestepEmbedding(timesteps: ArrayLike<number>, dim: number, maxPeriod = DEFAULT_MAX_PERIOD): Float32Array {
  if (!Number.isInteger(dim) || dim < 4 || dim % 2 !== 0) throw new Error(`timestepEmbedding: dim must be an even integer >= 4, got ${dim}`);
  const half = dim / 2;
  const out = new Float32Array(timesteps.length * dim);
  for (let b = 0; b < timesteps.length; b++) {
    const t = timesteps[b]!;
    for (let j = 0; j < half; j++) {
      const angle = t * Math.exp((-Math.log(maxPeriod) * j) / (half - 1));
      out[b * dim + j] = Math.sin(angle);
      out[b * dim + half + j] = Math.cos(angle);
    }
  }
  return out;
}
