/**
 * Which CLI command continues a run folder, from its config.json's `format`: Resume Run in the editor must start the
 * job that wrote the folder (`train --resume` on a pretraining run would refuse its config).
 */
const RESUME_COMMANDS: Readonly<Record<string, readonly string[]>> = {
  'anadiff-train-run': ['train'],
  'anadiff-pretrain-run': ['pretrain'],
  'anadiff-coords-run': ['coords', 'train'],
};

/** The CLI words before `--resume RUN_DIR` (e.g. ['coords', 'train']), or undefined for a folder no job resumes. */
export function resumeCommandOf(config: unknown): readonly string[] | undefined {
  const format = config && typeof config === 'object' ? (config as { format?: unknown }).format : undefined;
  return typeof format === 'string' ? RESUME_COMMANDS[format] : undefined;
}
