/** A small `--flag` / `--key value` parser for segment, evaluate and bench infer: unknown options fail loudly (exit 2). */
import { progressLine } from '../../protocol/cli-progress.js';
import { CliError } from '../command.js';

export interface ParsedFlags {
  readonly values: Readonly<Record<string, string>>;
  readonly switches: ReadonlySet<string>;
}

export function parseFlags(command: string, argv: readonly string[], spec: { values: readonly string[]; switches: readonly string[] }, usage: string): ParsedFlags {
  const values: Record<string, string> = {};
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new CliError(`${command}: unexpected argument "${arg}"\n${usage}`, 2);
    const key = arg.slice(2);
    if (spec.switches.includes(key)) switches.add(key);
    else if (spec.values.includes(key)) {
      const v = argv[++i];
      if (v === undefined) throw new CliError(`${command}: ${arg} needs a value`, 2);
      values[key] = v;
    } else throw new CliError(`${command}: unknown option ${arg}\n${usage}`, 2);
  }
  return { values, switches };
}

export function numberFlag(command: string, flags: ParsedFlags, key: string, check: (n: number) => boolean, rule: string): number | undefined {
  const v = flags.values[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !check(n)) throw new CliError(`${command}: --${key} must be ${rule}, got ${v}`, 2);
  return n;
}

export function choiceFlag<T extends string>(command: string, flags: ParsedFlags, key: string, choices: readonly T[]): T | undefined {
  const v = flags.values[key];
  if (v === undefined) return undefined;
  if (!(choices as readonly string[]).includes(v)) throw new CliError(`${command}: --${key} must be one of ${choices.join(', ')}, got ${v}`, 2);
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
