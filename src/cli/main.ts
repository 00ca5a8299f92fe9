import { commands } from './commands/index.js';
import { EXIT, exitCodeFor, type CliCommand } from './command.js';

function helpText(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return ['usage: anadiff <command> [options]', '', 'commands:', ...lines, '', 'Run `anadiff <command> --help` for its options.'].join('\n');
}

/** Picks the command whose name matches the longest prefix of argv (`bench nifti` before `bench`). */
function resolve(argv: readonly string[]): { command: CliCommand; rest: readonly string[] } | undefined {
  const sorted = [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  for (const command of sorted) {
    const words = command.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command, rest: argv.slice(words.length) };
  }
  return undefined;
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(helpText());
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const found = resolve(argv);
  if (!found) {
    console.error(`anadiff: unknown command "${argv.join(' ')}"\n\n${helpText()}`);
    return EXIT.usage;
  }
  // Options after `--` belong to a job that `submit` passes on, not to the command itself.
  const own = found.rest.includes('--') ? found.rest.slice(0, found.rest.indexOf('--')) : found.rest;
  if (own.includes('--help') || own.includes('-h')) {
    console.log(found.command.usage);
    return 0;
  }
  return found.command.run(found.rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`anadiff: ${message.split('\n')[0]}`);
    if (process.env.ANADIFF_DEBUG && err instanceof Error) console.error(err.stack);
    process.exitCode = exitCodeFor(err);
  },
);
