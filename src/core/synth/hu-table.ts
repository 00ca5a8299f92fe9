import { nextFloat, nextInt, type Rng } from '../random/rng.js';
import type { Tissue } from './classes.js';

/**
 * Mean attenuation ranges (HU) per tissue and contrast phase, from the radiology literature's typical values
 * (e.g. liver 50-65 native, 100-130 portal venous; aorta 250-400 arterial; renal cortex 150-200 arterial with a
 * darker medulla; fat -120..-80). Each synthetic case draws one mean per tissue uniformly inside its range, so the
 * network sees the spread of scanners and timings rather than one protocol. Ranges are ours, chosen wide on purpose.
 */
export const PHASES = ['native', 'arterial', 'portal'] as const;
export type Phase = (typeof PHASES)[number];

/** Tissues plus the sub-compartments the generator paints inside them. */
export type HuKey = Tissue | 'kidneyMedulla' | 'boneCortex' | 'gas' | 'fluid';

export type HuRange = readonly [number, number];

type PhaseRanges = Readonly<Record<Phase, HuRange>>;

const same = (r: HuRange): PhaseRanges => ({ native: r, arterial: r, portal: r });

export const HU_RANGES: Readonly<Record<HuKey, PhaseRanges>> = {
  air: same([-1010, -980]),
  gas: same([-1000, -850]),
  lung: same([-900, -780]),
  fat: same([-120, -80]),
  body: same([-115, -70]), // unlabeled interior: mesenteric fat with vessels and bowel loops; mixed with soft tissue
  fluid: same([0, 25]),
  muscle: { native: [35, 55], arterial: [45, 65], portal: [50, 70] },
  bone: same([150, 350]), // cancellous
  boneCortex: same([600, 1100]),
  spinalCord: same([25, 45]),
  liver: { native: [45, 65], arterial: [60, 90], portal: [95, 135] },
  spleen: { native: [38, 55], arterial: [90, 140], portal: [100, 135] },
  kidney: { native: [28, 42], arterial: [140, 210], portal: [140, 190] }, // cortex
  kidneyMedulla: { native: [25, 40], arterial: [60, 100], portal: [120, 170] },
  gallbladder: same([0, 25]),
  pancreas: { native: [30, 50], arterial: [90, 130], portal: [80, 115] },
  adrenal: { native: [10, 40], arterial: [50, 90], portal: [50, 85] },
  esophagus: { native: [30, 50], arterial: [50, 80], portal: [60, 90] },
  stomach: { native: [10, 40], arterial: [20, 50], portal: [25, 60] }, // wall and contents together
  bowel: { native: [15, 45], arterial: [30, 70], portal: [50, 95] },
  colon: { native: [-20, 40], arterial: [0, 50], portal: [10, 60] },
  bladder: same([0, 20]),
  prostate: { native: [30, 50], arterial: [50, 90], portal: [60, 90] },
  heart: { native: [35, 55], arterial: [220, 380], portal: [120, 180] },
  artery: { native: [35, 55], arterial: [220, 400], portal: [130, 200] },
  vein: { native: [35, 55], arterial: [60, 120], portal: [120, 180] }, // IVC mixes unopacified blood in arterial phase
  portalVein: { native: [35, 55], arterial: [80, 150], portal: [140, 200] },
  thyroid: { native: [80, 120], arterial: [150, 220], portal: [120, 180] },
};

export const HU_KEYS = Object.keys(HU_RANGES) as HuKey[];

/** Positive oral contrast in the stomach/bowel lumen, drawn for a fraction of contrast-phase cases. */
export const ORAL_CONTRAST_HU: HuRange = [150, 300];

export interface TissueIntensities {
  readonly phase: Phase;
  /** Drawn mean HU per key. */
  readonly mean: Readonly<Record<HuKey, number>>;
  /** Within-tissue smooth variation amplitude (HU, sd of a low-frequency field), drawn per case. */
  readonly textureSd: number;
  /** Whether the stomach and bowel lumens hold positive oral contrast in this case. */
  readonly oralContrast: boolean;
}

/** Draws a phase (unless given) and one mean per tissue. Fixed number of draws for a given phase choice. */
export function drawIntensities(rng: Rng, phase?: Phase): TissueIntensities {
  const chosen = phase ?? PHASES[nextInt(rng, PHASES.length)]!;
  const mean = {} as Record<HuKey, number>;
  for (const key of HU_KEYS) {
    const [lo, hi] = HU_RANGES[key][chosen];
    mean[key] = lo + (hi - lo) * nextFloat(rng);
  }
  const oral = nextFloat(rng) < (chosen === 'native' ? 0.1 : 0.3);
  if (oral) {
    const c = ORAL_CONTRAST_HU[0] + (ORAL_CONTRAST_HU[1] - ORAL_CONTRAST_HU[0]) * nextFloat(rng);
    mean.fluid = c; // the lumen fill of stomach and bowel uses 'fluid'
  }
  return { phase: chosen, mean, textureSd: 3 + 9 * nextFloat(rng), oralContrast: oral };
}
