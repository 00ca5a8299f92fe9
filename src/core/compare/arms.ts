/**
 * The arms of `anadiff compare` (issue 11): what each pretrains, and how its backbone is then probed. Every arm gets
 * the same backbone, data, patch, pretraining steps and probing budget; they differ only in the objective.
 */

export const COMPARE_ARMS = ['guided-aux', 'guided-cond', 'diffusion', 'genesis', 'contrastive', 'random', 'scratch'] as const;
export type CompareArm = (typeof COMPARE_ARMS)[number];

export interface ArmDefinition {
  /** The `anadiff pretrain` method and, for guided, its guidance mode; none for the random and scratch arms. */
  readonly pretrain?: { readonly method: 'diffusion' | 'guided' | 'genesis' | 'contrastive'; readonly guidance?: 'aux' | 'cond' };
  /**
   * How the segmentation head is trained: `probe` = a frozen backbone with the probing head (the config's probe modes);
   * `scratch` = the whole network from random weights with the same steps (no probing mode applies).
   */
  readonly training: 'probe' | 'scratch';
  readonly description: string;
}

export const ARM_DEFINITIONS: Readonly<Record<CompareArm, ArmDefinition>> = {
  'guided-aux': { pretrain: { method: 'guided', guidance: 'aux' }, training: 'probe', description: 'diffusion + auxiliary coordinate head (the method)' },
  'guided-cond': { pretrain: { method: 'guided', guidance: 'cond' }, training: 'probe', description: 'diffusion conditioned on the coordinates (null condition at probing)' },
  diffusion: { pretrain: { method: 'diffusion' }, training: 'probe', description: 'unguided diffusion' },
  genesis: { pretrain: { method: 'genesis' }, training: 'probe', description: 'Models Genesis (restorative)' },
  contrastive: { pretrain: { method: 'contrastive' }, training: 'probe', description: 'vox2vec (contrastive)' },
  random: { training: 'probe', description: 'random frozen backbone' },
  scratch: { training: 'scratch', description: 'whole network from scratch' },
};

/** The arms the method is, whose paired differences against every other arm the report gives. */
export const GUIDED_ARMS: readonly CompareArm[] = ['guided-aux', 'guided-cond'];

/** Probing modes compare runs for probe arms (the paper's claim is about non-linear probing). */
export const PROBE_MODES = ['nonlinear', 'linear'] as const;
export type ProbeMode = (typeof PROBE_MODES)[number];

/** The folder-safe name of one (arm, seed) pretraining run and one (arm, seed, training) segmentation run. */
export const pretrainRunName = (arm: CompareArm, seed: number): string => `${arm}-seed${seed}`;
export const probeRunName = (arm: CompareArm, seed: number, mode: ProbeMode | 'scratch'): string => `${arm}-seed${seed}-${mode}`;

/** The segmentation trainings an arm gets: its probe modes, or one scratch training. */
export function trainingsOf(arm: CompareArm, modes: readonly ProbeMode[]): (ProbeMode | 'scratch')[] {
  return ARM_DEFINITIONS[arm].training === 'scratch' ? ['scratch'] : [...modes];
}


/** Arms whose backbone is a denoiser (FiLM of the timestep): the ones the probing timestep sweep applies to. */
export const isDiffusionArm = (arm: CompareArm): boolean => {
  const method = ARM_DEFINITIONS[arm].pretrain?.method;
  return method === 'diffusion' || method === 'guided';
};
