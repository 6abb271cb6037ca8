import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads a content file shipped with the code. In the source tree the files sit beside this module;
 * in a Lambda bundle the function construct copies each declared asset beside the bundle, which is
 * where `__dirname` points after bundling. Read once at cold start.
 */
export function readContent(fileName: string): string {
  return readFileSync(join(__dirname, fileName), 'utf8');
}
