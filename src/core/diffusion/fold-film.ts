/**
 * Probing reads the backbone at a fixed timestep (t = 0, or t <= 10: ../shared/notes/pretraining.md). At fixed t the
 * FiLM condition is a constant per channel, and FiLM follows a norm's affine, so it folds exactly into that affine:
 *   (gamma * xhat + beta) * (1 + scale) + shift = [gamma (1 + scale)] * xhat + [beta (1 + scale) + shift]
 * `foldTimestep` does this on the host and returns the parameters of the PLAIN FPN3d backbone (`backbone.*`, no FiLM,
 * no time MLP), so a segmenter probes a diffusion backbone with no conditioning code at all, and a checkpoint of the
 * folded weights feeds `train --backbone` as any other backbone does.
 * Not folded: the input range. The denoiser saw images in [-1, 1]; probing must feed 2x - 1 (a 3x3 stem conv with zero
 * padding cannot absorb the shift exactly at the borders).
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
