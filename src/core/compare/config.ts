/**
 * The experiment `anadiff compare` runs, as one JSON file (format `anadiff-compare-config`): the arms and seeds, the
 * shared backbone and budget, the synthetic data to generate first, and the four data sets (unlabelled pretraining
 * CTs, labelled probe training and validation cases, the held-out test set). Parsed once here (unknown -> typed, with
 * defaults, every field checked and named), then frozen; paths stay as written (the node side resolves them against
 * the config file's folder).
 */
import { COMPARE_ARMS, PROBE_MODES, type CompareArm, type ProbeMode } from './arms.js';

type Triple = readonly [number, number, number];

/** A set of cases: every case of a folder (optionally the first `take`, sorted), phantom seeds, or one file pair. */
export type DataSpec =
  | { readonly dir: string; readonly take?: number }
  | { readonly phantom: readonly number[] }
  | { readonly image: string; readonly labels?: string; readonly id?: string };

/** `anadiff synth` run before anything else (it keeps complete cases, so a rerun costs nothing). */
export interface SynthSpec {
  readonly labels: string;
  readonly n: number;
  readonly seed: number;
  readonly out: string;
}

export interface CompareConfig {
  readonly format: 'anadiff-compare-config';
  readonly version: 1;
  readonly name: string;
  readonly arms: readonly CompareArm[];
  readonly seeds: readonly number[];
  readonly preset: 'tiny' | 'small' | 'paper';
  readonly spacingMm: Triple;
  readonly synth: readonly SynthSpec[];
  readonly data: { readonly pretrain: readonly DataSpec[]; readonly train: readonly DataSpec[]; readonly val: readonly DataSpec[]; readonly test: readonly DataSpec[] };
  readonly pretrain: {
    readonly steps: number;
    readonly batch: number;
    readonly patch: Triple;
    readonly lr: number;
    readonly guidanceWeight: number;
    /** The guided arms' coordinates: `oracle` (the generator's), or a coordinate model (run folder or .onnx, relative to the config). */
    readonly coords: string;
    readonly positives: number;
    readonly checkpointEvery: number;
  };
  readonly probe: {
    readonly modes: readonly ProbeMode[];
    readonly epochs: number;
    readonly stepsPerEpoch: number;
    readonly batch: number;
    readonly patch: Triple;
    readonly lr: number;
    readonly checkpointEvery: number;
    readonly augment: boolean;
    /** Share of thin-slab patches (train --slabs); 0 in the committed configs: the test volumes are whole scans. */
    readonly slabs: number;
    /** Sliding-window overlap for validation and the test set (the protocol's 0.5). */
    readonly overlap: number;
    /**
     * Diffusion arms, first seed: also probe the backbone with FiLM folded at each of these timesteps (clean image),
     * scored on the validation cases only (issue 11's sweep; t = 0 is the main probe). [] = no sweep.
     */
    readonly timesteps: readonly number[];
  };
  readonly bootstrap: { readonly resamples: number; readonly seed: number };
}

export class CompareConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompareConfigError';
  }
}

type Obj = Record<string, unknown>;

/** Field readers that name the field on failure (`pretrain.steps must be a positive integer, got -1`). */
function reader(where: string) {
  const fail = (path: string, what: string, v: unknown): never => {
    throw new CompareConfigError(`${where}: ${path} must be ${what}, got ${JSON.stringify(v)}`);
  };
  const obj = (v: unknown, path: string): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : fail(path, 'an object', v));
  const posInt = (v: unknown, path: string): number => (Number.isSafeInteger(v) && (v as number) >= 1 ? (v as number) : fail(path, 'a positive integer', v));
  const nonNegInt = (v: unknown, path: string): number => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : fail(path, 'an integer >= 0', v));
  const num = (v: unknown, path: string, ok: (x: number) => boolean, what: string): number => (typeof v === 'number' && Number.isFinite(v) && ok(v) ? v : fail(path, what, v));
  const str = (v: unknown, path: string): string => (typeof v === 'string' && v.length > 0 ? v : fail(path, 'a non-empty string', v));
  const triple = (v: unknown, path: string, ok: (x: number) => boolean, what: string): Triple =>
    Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && ok(x)) ? (v as unknown as Triple) : fail(path, `[i, j, k], each ${what}`, v);
  const list = <T>(v: unknown, path: string, item: (x: unknown, p: string) => T, minLength = 1): T[] =>
    Array.isArray(v) && v.length >= minLength ? v.map((x, n) => item(x, `${path}[${n}]`)) : fail(path, `a list of at least ${minLength}`, v);
  const oneOf = <T extends string>(v: unknown, path: string, allowed: readonly T[]): T => ((allowed as readonly unknown[]).includes(v) ? (v as T) : fail(path, `one of ${allowed.join(', ')}`, v));
  return { fail, obj, posInt, nonNegInt, num, str, triple, list, oneOf };
}

function dataSpec(r: ReturnType<typeof reader>, v: unknown, path: string): DataSpec {
  const o = r.obj(v, path);
  if ('dir' in o) return { dir: r.str(o.dir, `${path}.dir`), ...(o.take !== undefined ? { take: r.posInt(o.take, `${path}.take`) } : {}) };
  if ('phantom' in o) return { phantom: r.list(o.phantom, `${path}.phantom`, (x, p) => r.nonNegInt(x, p)) };
  if ('image' in o) {
    return {
      image: r.str(o.image, `${path}.image`), ...(o.labels !== undefined ? { labels: r.str(o.labels, `${path}.labels`) } : {}),
      ...(o.id !== undefined ? { id: r.str(o.id, `${path}.id`) } : {}),
    };
  }
  return r.fail(path, 'one of {"dir"}, {"phantom"}, {"image"[, "labels"]}', v);
}

/** Parses and checks a compare config; `where` names it in errors (a path, or "--smoke"). */
export function parseCompareConfig(value: unknown, where: string): CompareConfig {
  const r = reader(where);
  const o = r.obj(value, '(top level)');
  if (o.format !== 'anadiff-compare-config') r.fail('format', '"anadiff-compare-config"', o.format);
  if (o.version !== 1) r.fail('version', '1', o.version);
  const arms = r.list(o.arms, 'arms', (x, p) => r.oneOf(x, p, COMPARE_ARMS), 2);
  if (new Set(arms).size !== arms.length) r.fail('arms', 'a list without repeats', arms);
  const seeds = r.list(o.seeds, 'seeds', (x, p) => r.nonNegInt(x, p));
  if (new Set(seeds).size !== seeds.length) r.fail('seeds', 'a list without repeats', seeds);
  const data = r.obj(o.data, 'data');
  const specs = (key: 'pretrain' | 'train' | 'val' | 'test'): DataSpec[] => r.list(data[key], `data.${key}`, (x, p) => dataSpec(r, x, p));
  const pre = r.obj(o.pretrain, 'pretrain');
  const probe = r.obj(o.probe, 'probe');
  const boot = o.bootstrap === undefined ? {} : r.obj(o.bootstrap, 'bootstrap');
  const positiveMm = (x: number): boolean => x > 0;
  const config: CompareConfig = {
    format: 'anadiff-compare-config', version: 1, name: r.str(o.name, 'name'), arms, seeds,
    preset: r.oneOf(o.preset ?? 'small', 'preset', ['tiny', 'small', 'paper'] as const),
    spacingMm: r.triple(o.spacingMm, 'spacingMm', positiveMm, '> 0 mm'),
    synth: o.synth === undefined ? [] : r.list(o.synth, 'synth', (x, p) => {
      const s = r.obj(x, p);
      return { labels: r.str(s.labels, `${p}.labels`), n: r.posInt(s.n, `${p}.n`), seed: r.nonNegInt(s.seed, `${p}.seed`), out: r.str(s.out, `${p}.out`) };
    }, 0),
    data: { pretrain: specs('pretrain'), train: specs('train'), val: specs('val'), test: specs('test') },
    pretrain: {
      steps: r.posInt(pre.steps, 'pretrain.steps'), batch: r.posInt(pre.batch ?? 2, 'pretrain.batch'),
      patch: r.triple(pre.patch, 'pretrain.patch', (x) => Number.isSafeInteger(x) && x >= 1, 'a positive integer'),
      lr: r.num(pre.lr ?? 3e-4, 'pretrain.lr', (x) => x > 0, 'a number > 0'),
      guidanceWeight: r.num(pre.guidanceWeight ?? 1, 'pretrain.guidanceWeight', (x) => x >= 0, 'a number >= 0'),
      coords: r.str(pre.coords ?? 'oracle', 'pretrain.coords'),
      positives: r.posInt(pre.positives ?? 1024, 'pretrain.positives'),
      checkpointEvery: r.posInt(pre.checkpointEvery ?? 100, 'pretrain.checkpointEvery'),
    },
    probe: {
      modes: r.list(probe.modes ?? ['nonlinear'], 'probe.modes', (x, p) => r.oneOf(x, p, PROBE_MODES)),
      epochs: r.posInt(probe.epochs, 'probe.epochs'), stepsPerEpoch: r.posInt(probe.stepsPerEpoch, 'probe.stepsPerEpoch'),
      batch: r.posInt(probe.batch ?? 2, 'probe.batch'),
      patch: r.triple(probe.patch, 'probe.patch', (x) => Number.isSafeInteger(x) && x >= 1, 'a positive integer'),
      lr: r.num(probe.lr ?? 3e-4, 'probe.lr', (x) => x > 0, 'a number > 0'),
      checkpointEvery: r.posInt(probe.checkpointEvery ?? 50, 'probe.checkpointEvery'),
      augment: probe.augment === undefined ? true : probe.augment === true ? true : probe.augment === false ? false : r.fail('probe.augment', 'true or false', probe.augment),
      slabs: r.num(probe.slabs ?? 0, 'probe.slabs', (x) => x >= 0 && x <= 1, 'a probability in [0, 1]'),
      overlap: r.num(probe.overlap ?? 0.5, 'probe.overlap', (x) => x >= 0 && x < 1, 'in [0, 1)'),
      timesteps: probe.timesteps === undefined ? [] : r.list(probe.timesteps, 'probe.timesteps', (x, p) => (Number.isSafeInteger(x) && (x as number) >= 1 && (x as number) < 1000 ? (x as number) : r.fail(p, 'an integer timestep in 1..999', x)), 0),
    },
    bootstrap: {
      resamples: r.posInt(boot.resamples ?? 10_000, 'bootstrap.resamples'), seed: r.nonNegInt(boot.seed ?? 0, 'bootstrap.seed'),
    },
  };
  return Object.freeze(config);
}

/**
 * `anadiff compare --smoke`: the whole chain on the built-in phantom in about a minute (CI runs it): every arm, one
 * seed, the tiny backbone, a few steps. Pretraining reads phantoms 1 and 3 (the phantom is its own coordinate atlas),
 * probing trains on phantom 1 and validates on 2, and phantoms 4 and 5, which nothing trained on, are the test set.
 * It checks that the chain runs and each loss falls; its Dice numbers say nothing about the methods.
 */
export const SMOKE_CONFIG: CompareConfig = parseCompareConfig({
  format: 'anadiff-compare-config', version: 1, name: 'smoke',
  arms: [...COMPARE_ARMS], seeds: [0], preset: 'tiny', spacingMm: [3, 3, 4],
  data: { pretrain: [{ phantom: [1, 3] }], train: [{ phantom: [1] }], val: [{ phantom: [2] }], test: [{ phantom: [4, 5] }] },
  pretrain: { steps: 30, batch: 2, patch: [16, 16, 8], lr: 3e-3, positives: 64, checkpointEvery: 10 },
  probe: { modes: ['nonlinear'], epochs: 2, stepsPerEpoch: 15, batch: 2, patch: [32, 32, 16], lr: 3e-3, checkpointEvery: 15, augment: false, overlap: 0.25, timesteps: [10] },
  bootstrap: { resamples: 2000, seed: 0 },
}, '--smoke');
