/** A small `--flag` / `--key value` parser for segment, evaluate and bench infer: unknown options fail loudly (exit 2). */
import { UsageError } from '../command.js';
import { progressLine } from '../../protocol/cli-progress.js';

export interface ParsedFlags {
  readonly values: Readonly<Record<string, string>>;
  readonly switches: ReadonlySet<string>;
}

export function parseFlags(command: string, argv: readonly string[], spec: { values: readonly string[]; switches: readonly string[] }, usage: string): ParsedFlags {
  const values: Record<string, string> = {};
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`${command}: unexpected argument "${arg}"\n${usage}`);
    const key = arg.slice(2);
    if (spec.switches.includes(key)) switches.add(key);
    else if (spec.values.includes(key)) {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${command}: ${arg} needs a value`);
      values[key] = v;
    } else throw new UsageError(`${command}: unknown option ${arg}\n${usage}`);
  }
  return { values, switches };
}

export function numberFlag(command: string, flags: ParsedFlags, key: string, check: (n: number) => boolean, rule: string): number | undefined {
  const v = flags.values[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`${command}: --${key} must be ${rule}, got ${v}`);
  return n;
}

export function choiceFlag<T extends string>(command: string, flags: ParsedFlags, key: string, choices: readonly T[]): T | undefined {
  const v = flags.values[key];
  if (v === undefined) return undefined;
  if (!(choices as readonly string[]).includes(v)) throw new UsageError(`${command}: --${key} must be one of ${choices.join(', ')}, got ${v}`);
  return v as T;
}

/** A progress line on stderr, rewritten in place on a terminal; one line at the end otherwise. */
export function progressPrinter(label: string): (done: number, total: number) => void {
  const tty = process.stderr.isTTY;
  return (done, total) => {
    if (tty) process.stderr.write(`\r${label}: window ${done}/${total}${done === total ? '\n' : ''}`);
    else if (done === total) process.stderr.write(`${label}: ${total} windows\n`);
  };
}

/** `--progress-json`: every update as one JSON line on stderr (src/protocol/cli-progress.ts), for the editor. */
export function jsonProgressPrinter(unit: string, write: (line: string) => void = (l) => process.stderr.write(l)): (done: number, total: number) => void {
  return (done, total) => write(`${progressLine(unit, done, total)}\n`);
}
