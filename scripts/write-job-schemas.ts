/**
 * Writes schemas/job-<job>.schema.json from the jobs' option tables (src/core/jobs/job-schema.ts), the schemas the
 * editor validates `*.anadiff-train.json`, `*.anadiff-pretrain.json` and `*.anadiff-coords.json` with. Run after
 * changing a job's options: `npm run schemas`. test/unit/core/jobs/job-config.test.ts fails while they differ.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jobConfigSchema, jobSchemaFile } from '../src/core/jobs/job-schema.js';
import { CONFIG_JOBS } from '../src/core/jobs/job-options.js';

const root = resolve(__dirname, '..');
for (const job of CONFIG_JOBS) {
  const file = join(root, 'schemas', jobSchemaFile(job));
  writeFileSync(file, `${JSON.stringify(jobConfigSchema(job), null, 2)}\n`);
  console.log(`wrote ${file}`);
}
