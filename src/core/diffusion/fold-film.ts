/**
 * Probing reads the backbone at a fixed timestep (t = 0, or t <= 10: ../shared/notes/pretraining.md). At fixed t the
 * FiLM condition is a constant per channel, and FiLM follows a norm's affine, so it folds exactly into that affine:
 *   (gamma * xhat + beta) * (1 + scale) + shift = [gamma (1 + scale)] * xhat + [beta (1 + scale) + shift]
 * `foldTimestep` does this on the host and returns the parameters of the PLAIN FPN3d backbone (`backbone.*`, no FiLM,
 * no time MLP), so a segmenter probes a diffusion backbone with no conditioning code at all, and a checkpoint of the
 * folded weights feeds `train --backbone` as any other backbone does.
 * The input range is a separate fold: the denoiser saw images in [-1, 1], a segmenter feeds [0, 1];
 * `foldInputRange` moves the 2x - 1 into the stem conv, exact except on a patch's outermost voxel layer (zero padding).
 * A coordinate-conditioned denoiser (guided cond and both) is probed at the null condition, zeros in the coordinate
 * channels: `foldNullCondition` keeps only the stem's image channels, which is exact (see there).
 */
import type { DiffusionNetConfig } from './network.js';
import { timestepEmbedding } from './timestep.js';

const silu = (v: number): number => v / (1 + Math.exp(-v));

/** y = W x + b for W [out, in] (torch.nn.Linear), in float64. */
function linear(params: ReadonlyMap<string, Float32Array>, name: string, x: ArrayLike<number>): Float64Array {
  const w = need(params, `${name}.weight`);
  const b = need(params, `${name}.bias`);
  const out = new Float64Array(b.length);
  const cin = w.length / b.length;
  if (cin !== x.length) throw new Error(`foldTimestep: ${name} expects ${cin} inputs, got ${x.length}`);
  for (let o = 0; o < b.length; o++) {
    let s = b[o]!;
    for (let i = 0; i < cin; i++) s += w[o * cin + i]! * x[i]!;
    out[o] = s;
  }
  return out;
}

function need(params: ReadonlyMap<string, Float32Array>, name: string): Float32Array {
  const v = params.get(name);
  if (!v) throw new Error(`foldTimestep: missing parameter ${name}`);
  return v;
}

/** The plain backbone's parameters equivalent to the diffusion backbone at timestep `t`. */
export function foldTimestep(params: ReadonlyMap<string, Float32Array>, cfg: DiffusionNetConfig, t: number): Map<string, Float32Array> {
  const temb = timestepEmbedding([t], cfg.timeChannels);
  const cond = linear(params, 'temb.fc2', linear(params, 'temb.fc1', temb).map(silu)).map(silu);
  const out = new Map<string, Float32Array>();
  for (const [name, value] of params) {
    if (name.startsWith('backbone.') && !/\.film[12]\.(weight|bias)$/.test(name)) out.set(name, Float32Array.from(value));
  }
  for (const name of params.keys()) {
    const m = /^(backbone\..*)\.film([12])\.weight$/.exec(name);
    if (!m) continue;
    const film = linear(params, `${m[1]}.film${m[2]}`, cond);
    const c = film.length / 2;
    const gamma = need(out, `${m[1]}.norm${m[2]}.weight`);
    const beta = need(out, `${m[1]}.norm${m[2]}.bias`);
    if (gamma.length !== c) throw new Error(`foldTimestep: ${name} gives ${c} channels, its norm has ${gamma.length}`);
    for (let ch = 0; ch < c; ch++) {
      const k = 1 + film[ch]!;
      gamma[ch] = gamma[ch]! * k;
      beta[ch] = beta[ch]! * k + film[c + ch]!;
    }
  }
  return out;
}

/**
 * The backbone's stem conv rewritten to take images in [0, 1] (the segmenter's scale) where it was trained on
 * u = 2x - 1: conv(W, b)(2x - 1) = conv(2W, b - sum W)(x). Exact wherever the 3x3x3 stencil lies inside the patch;
 * on the outermost voxel layer the zero padding now stands for x = 0 (u = -1, air) where training padded u = 0, so
 * those voxels differ slightly. Returns a copy; only `backbone.stem.{weight,bias}` change.
 */
export function foldInputRange(params: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> {
  const out = new Map([...params].map(([name, v]) => [name, Float32Array.from(v)]));
  const w = need(out, 'backbone.stem.weight');
  const b = need(out, 'backbone.stem.bias');
  const perOut = w.length / b.length;
  if (!Number.isInteger(perOut)) throw new Error(`foldInputRange: stem weight has ${w.length} values for ${b.length} channels`);
  for (let o = 0; o < b.length; o++) {
    let sum = 0;
    for (let n = o * perOut; n < (o + 1) * perOut; n++) {
      sum += w[n]!;
      w[n] = 2 * w[n]!;
    }
    b[o] = b[o]! - sum;
  }
  return out;
}

/**
 * The stem conv of a denoiser conditioned on extra input channels (cfg.inChannels, the image's cfg.outChannels
 * first), cut to the image channels: the backbone at the null condition. Exact, padding included: the null condition
 * is zero in every condition channel at every voxel, and the stem's zero padding is zero too, so the cut weights only
 * ever multiplied zeros (conv(W, b)([x, 0]) = conv(W[:, :image], b)(x)). Run before foldInputRange, which must see
 * image channels only. Returns a copy; only `backbone.stem.weight` changes (to [C, cfg.outChannels, k, k, k]).
 */
export function foldNullCondition(params: ReadonlyMap<string, Float32Array>, cfg: DiffusionNetConfig): Map<string, Float32Array> {
  const out = new Map([...params].map(([name, v]) => [name, Float32Array.from(v)]));
  const w = need(out, 'backbone.stem.weight');
  const stemChannels = need(out, 'backbone.stem.bias').length;
  const taps = w.length / (stemChannels * cfg.inChannels);
  if (!Number.isInteger(taps)) throw new Error(`foldNullCondition: stem weight has ${w.length} values, not ${stemChannels} x ${cfg.inChannels} input channels x taps`);
  const perOut = cfg.inChannels * taps, kept = cfg.outChannels * taps;
  const cut = new Float32Array(stemChannels * kept);
  // [out, in, k, k, k] row-major: the image channels are the first `kept` values of every output channel's row.
  for (let o = 0; o < stemChannels; o++) cut.set(w.subarray(o * perOut, o * perOut + kept), o * kept);
  out.set('backbone.stem.weight', cut);
  return out;
}
