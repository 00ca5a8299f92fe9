/**
 * This build's version, from package.json (esbuild inlines the one field). Checkpoint manifests record it as their
 * writer, so a checkpoint that does not fit a run can say which version wrote it.
 */
import { version } from '../../package.json';

export const ANADIFF_VERSION: string = version;
