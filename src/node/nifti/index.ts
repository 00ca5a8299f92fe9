export {
  readNiftiFile, readNiftiLabelFile, readNiftiSummary, readNamedNiftiFile, readNamedNiftiSummary, readNiftiFileTo, readNiftiBytes, isGzip,
  type ReadNiftiOptions,
} from './read-file.js';
export { writeNiftiFile, type WriteNiftiOptions } from './write-file.js';
export { readNiftiHeaderFile } from './read-header.js';
