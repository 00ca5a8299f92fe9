/**
 * compare's data sets from its config (docs/compare.md): CTs for pretraining, labelled cases for the heads and the test
 * set, each from a folder, phantom seeds or one file pair, relative paths against the config's folder; and the checks
 * made before any work (the test set is unseen, the guided arms find their coordinates).
 */
import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DataSpec } from '../../core/compare/config.js';
import type { CaseSource } from '../train/jobs/job-spec.js';
import { coordsMapPathFor } from '../datasets/layouts.js';
import { listCts } from '../datasets/list-cts.js';
import type { CtSource } from '../train/coords-run.js';
import { listLabelledCases } from '../datasets/dataset-cases.js';

export class CompareError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompareError';
  }
}

const idOf = (baseDir: string, path: string): string => {
  const rel = path.startsWith(`${baseDir}/`) ? path.slice(baseDir.length + 1) : path;
  return rel.replace(/\.nii(\.gz)?$/i, '');
};

export async function ctSources(specs: readonly DataSpec[], baseDir: string, say: (m: string) => void): Promise<CtSource[]> {
  const out: CtSource[] = [];
  for (const spec of specs) {
    if ('phantom' in spec) out.push(...spec.phantom.map((seed) => ({ id: `phantom-${seed}`, phantom: { seed } })));
    else if ('dir' in spec) {
      const cts = (await listCts(resolve(baseDir, spec.dir), (p, why) => say(`skipping ${p}: ${why}`))).slice(0, spec.take);
      if (cts.length === 0) throw new CompareError(`data.pretrain: no CT under ${resolve(baseDir, spec.dir)}`);
      out.push(...cts.map((p) => ({ id: idOf(baseDir, p), image: p })));
    } else out.push({ id: spec.id ?? idOf(baseDir, resolve(baseDir, spec.image)), image: resolve(baseDir, spec.image) });
  }
  return out;
}

export async function labelledSources(specs: readonly DataSpec[], baseDir: string, set: string): Promise<CaseSource[]> {
  const out: CaseSource[] = [];
  for (const spec of specs) {
    if ('phantom' in spec) out.push(...spec.phantom.map((seed) => ({ id: `phantom-${seed}`, phantom: { seed } })));
    else if ('dir' in spec) {
      const cases = (await listLabelledCases(resolve(baseDir, spec.dir))).slice(0, spec.take);
      out.push(...cases.map((c) => ('image' in c ? { ...c, id: idOf(baseDir, resolve(c.image)) } : c)));
    } else {
      if (spec.labels === undefined) throw new CompareError(`data.${set}: ${spec.image} needs "labels" (a labelled set)`);
      out.push({ id: spec.id ?? idOf(baseDir, resolve(baseDir, spec.image)), image: resolve(baseDir, spec.image), labels: resolve(baseDir, spec.labels) });
    }
  }
  return out;
}

/** A case's identity for the overlap check: the image file (real path) or the phantom seed. */
const identity = (s: CtSource | CaseSource): string => ('phantom' in s ? `phantom:${s.phantom.seed ?? 1}` : realpathSync(s.image));

/** The test set must be unseen: no test image is among the pretraining, probe training or validation images. */
export function checkTestUnseen(test: readonly CaseSource[], seen: readonly (CtSource | CaseSource)[]): void {
  const used = new Set(seen.map(identity));
  const leaked = test.filter((t) => used.has(identity(t)));
  if (leaked.length > 0) throw new CompareError(`test case(s) ${leaked.map((t) => t.id).join(', ')} are also in a training set (pretrain, train or val): the test set must be unseen`);
}

/** Guided arms read the generator's coordinates beside every pretraining CT: all must be there before any work. */
export function checkOracleCoords(sources: readonly CtSource[]): void {
  const missing = sources.filter((s) => 'image' in s && !existsSync(coordsMapPathFor(s.image)));
  if (missing.length > 0) throw new CompareError(`the guided arms need oracle coordinates beside each pretraining CT; missing for ${missing.length} file(s), e.g. ${coordsMapPathFor((missing[0] as { image: string }).image)} (make the pretraining set with \`anadiff synth\`, or leave the guided arms out)`);
}
