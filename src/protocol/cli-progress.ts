/**
 * Machine-readable progress from a CLI job to the editor: with `--progress-json` the CLI prints one line per update
 * to stderr, a JSON object whose `type` is `progress`. Other stderr lines stay human messages. The CLI formats with
 * `progressLine`, the extension reads with `parseProgressLine`; both sides import this file so the format has one home.
 */

/** One progress update: `done` of `total` units of `unit` (e.g. 3 of 24 sliding windows). */
export interface CliProgress {
  readonly type: 'progress';
  readonly unit: string;
  readonly done: number;
  readonly total: number;
}

export function progressLine(unit: string, done: number, total: number): string {
  return JSON.stringify({ type: 'progress', unit, done, total } satisfies CliProgress);
}

/** The update a stderr line carries, or undefined for any other line (messages, a malformed or foreign object). */
export function parseProgressLine(line: string): CliProgress | undefined {
  if (!line.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined; // a human message that happens to start with a brace
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.type !== 'progress' || typeof v.unit !== 'string') return undefined;
  const { done, total } = v;
  if (typeof done !== 'number' || typeof total !== 'number' || !(total > 0) || !(done >= 0 && done <= total)) return undefined;
  return { type: 'progress', unit: v.unit, done, total };
}
