/** One good value and some malformed ones per option kind, shared by the parser test and the schema reference test. */
import type { JobOption } from '../../../../src/core/jobs/job-options.js';

export function exampleValue(o: JobOption): unknown {
  switch (o.kind) {
    case 'flag': return true;
    case 'integer': return o.minimum + 2;
    case 'number': return o.exclusiveMaximum !== undefined || o.maximum !== undefined ? 0.5 : 2;
    case 'enum': return o.values[0];
    case 'path': return 'some/where';
    case 'paths': return ['a.nii.gz', 'b.nii.gz'];
    case 'size': return [32, 32, 16];
    case 'spacing': return [1.5, 1.5, 2];
    case 'integers': return o.length === 2 ? [4, 2] : [1, 2, 3];
    case 'text': return o.pattern ? '4-40' : 'a name';
  }
}

export function badValues(o: JobOption): unknown[] {
  switch (o.kind) {
    case 'flag': return ['yes', 1, null];
    case 'integer': return [o.minimum - 1, 1.5, '3', null];
    case 'number': return [
      '0.1', null,
      ...(o.minimum !== undefined ? [o.minimum - 1] : []), ...(o.exclusiveMinimum !== undefined ? [o.exclusiveMinimum] : []),
      ...(o.maximum !== undefined ? [o.maximum + 1] : []), ...(o.exclusiveMaximum !== undefined ? [o.exclusiveMaximum] : []),
    ];
    case 'enum': return ['nope', 1];
    case 'path': return ['', 5];
    case 'paths': return [[], 'a.nii.gz', [''], [3]];
    case 'size': return [[32, 32], [32, 32, 0], [32, 32, 1.5], '32x32x16'];
    case 'spacing': return [[1, 1], [1, 0, 1], '1x1x2'];
    case 'integers': return [[], [-1], [1.5], '1,2', ...(o.length === 2 ? [[1, 2, 3]] : [])];
    case 'text': return ['', 7, ...(o.pattern ? ['4 to 40'] : [])];
  }
}
