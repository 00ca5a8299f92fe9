/**
 * The JSON schema of a job's config files, built from the job's option table (job-options.ts): the editor completes
 * and checks `*.anadiff-<job>.json` with it (package.json's jsonValidation points at schemas/job-*.schema.json, which
 * `npm run schemas` writes from here and a test keeps equal to this).
 */
import { JOB_CONFIG_FORMAT, JOB_CONFIG_VERSION } from './job-config.js';
import { configSuffix, jobTag, JOB_OPTIONS, type ConfigJob, type JobOption, type JobOptions } from './job-options.js';

type Schema = Record<string, unknown>;

export function jobConfigSchema(job: ConfigJob): Schema {
  const options = Object.fromEntries(Object.entries(JOB_OPTIONS[job] as JobOptions).map(([name, o]) => [name, { ...optionSchema(o), description: o.description }]));
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `anadiff-job-${jobTag(job)}`,
    title: `anadiff ${job} job config (*${configSuffix(job)})`,
    description: `Options of \`anadiff ${job}\`, run with \`anadiff ${job} --config FILE\` (flags given beside it win). Relative paths are read from this file's folder.`,
    type: 'object',
    required: ['format', 'version', 'job', 'options'],
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      format: { const: JOB_CONFIG_FORMAT },
      version: { const: JOB_CONFIG_VERSION },
      job: { const: job },
      options: { type: 'object', additionalProperties: false, properties: options },
    },
  };
}

function optionSchema(o: JobOption): Schema {
  switch (o.kind) {
    case 'flag':
      return { type: 'boolean' };
    case 'integer':
      return { type: 'integer', minimum: o.minimum };
    case 'number': {
      const { kind: _kind, description: _description, ...range } = o;
      return { type: 'number', ...range };
    }
    case 'enum':
      return { enum: [...o.values] };
    case 'path':
      return { type: 'string', minLength: 1 };
    case 'paths':
      return { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } };
    case 'size':
      return { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 3, maxItems: 3 };
    case 'spacing':
      return { type: 'array', items: { type: 'number', exclusiveMinimum: 0 }, minItems: 3, maxItems: 3 };
    case 'integers':
      return { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: o.length ?? 1, ...(o.length !== undefined ? { maxItems: o.length } : {}) };
    case 'text':
      return { type: 'string', minLength: 1, ...(o.pattern !== undefined ? { pattern: o.pattern } : {}) };
  }
}

/** The schema's file name under schemas/: `job-train.schema.json`, `job-pretrain.schema.json`, `job-coords.schema.json`. */
export function jobSchemaFile(job: ConfigJob): string {
  return `job-${jobTag(job)}.schema.json`;
}
