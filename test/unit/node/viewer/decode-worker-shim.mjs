// Worker entry for tests: Node cannot start a worker on a .ts file, so this registers tsx and loads the source.
import { tsImport } from 'tsx/esm/api';

await tsImport('../../../../src/node/viewer/decode-worker.ts', import.meta.url);
