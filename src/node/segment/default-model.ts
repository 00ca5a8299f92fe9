import { join } from 'node:path';

/**
 * Where the shipped default model lives, relative to the anadiff installation (the extension's folder, the npm
 * package). Its own module so the extension can name it without loading the ONNX reader behind resolve-model.ts.
 */
export const DEFAULT_MODEL_PATH = join('models', 'default', 'model.onnx');
