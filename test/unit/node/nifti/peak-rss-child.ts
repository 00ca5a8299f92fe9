// Runs one anadiff command (`info FILE`, `segment ...`) or one reader (`read:float32|uint8|none FILE`) in this
// process and prints `PEAK {"baseBytes", "maxBytes"}`: the resident set after the imports and the process's peak
// (process.resourceUsage().maxRSS), so a test can bound what the command itself added.
import { commands } from '../../../../src/cli/commands/index.js';
import { readNiftiFileTo } from '../../../../src/node/nifti/index.js';

async function main(): Promise<void> {
  const [first, ...rest] = process.argv.slice(2);
  const baseBytes = process.memoryUsage().rss;
  if (first?.startsWith('read:')) {
    const target = first.slice(5) as 'float32' | 'uint8' | 'none';
    const image = await readNiftiFileTo(rest[0]!, target);
    console.log(`read ${image.dims.join('x')} range ${image.range.join('..')}`);
  } else {
    const words = (first ?? '').split(' ');
    const command = commands.find((c) => c.name === words.join(' '));
    if (!command) throw new Error(`no command ${first}`);
    const code = await command.run(rest);
    if (code !== 0) throw new Error(`${first} exited ${code}`);
  }
  console.log(`PEAK ${JSON.stringify({ baseBytes, maxBytes: process.resourceUsage().maxRSS * 1024 })}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
