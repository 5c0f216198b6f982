import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatasetError } from './errors';

/** The marker file that tells the sample folder apart from any other folder named "sample". */
const MARKER = 'README.md';

/**
 * The built-in sample dataset (a small subset of Fashion-MNIST in resources/sample), used when no folder is given.
 *
 * From source (tests, the command line under tsx) and from a build (out/main/…) the folder sits under
 * resources/ some levels above this module, so we walk up from it. A packaged app's bundle is inside app.asar,
 * which libvips cannot read from, so the packager copies the sample beside it (electron-builder `extraResources`,
 * to `sample`): we look in Electron's resources folder too. `resourcesPath` defaults to Electron's
 * process.resourcesPath; a worker thread, which may not have it, can be handed it by the main process.
 */
export function sampleDatasetPath(resourcesPath = (process as { resourcesPath?: string }).resourcesPath): string {
  // A packaged app's resources first: there the walk below finds nothing, and in development Electron's
  // resources folder (inside node_modules/electron) holds no sample.
  const tried = resourcesPath
    ? [join(resourcesPath, 'sample'), join(resourcesPath, 'app.asar.unpacked', 'resources', 'sample')]
    : [];
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++) {
    tried.push(join(dir, 'resources', 'sample'));
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const found = tried.find((p) => existsSync(join(p, MARKER)));
  if (!found) {
    throw new DatasetError(`The built-in sample dataset is missing; looked in:\n${tried.join('\n')}`, tried[0]);
  }
  return found;
}
