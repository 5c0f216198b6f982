import { resolve } from 'node:path';
import { sampleDatasetPath } from '../datasets';

/** A dataset path the window asked for that this window was never given. */
export class UntrustedPathError extends Error {
  override name = 'UntrustedPathError';
}

/**
 * The dataset folders one window may read. Paths from the window are never trusted as such: a folder is usable
 * only once the host itself handed it out, from its folder dialog or as the dataset of a project file it opened.
 * The built-in sample is asked for as null, never by path.
 */
export class TrustedDatasets {
  private readonly folders = new Set<string>();

  constructor(
    /** Where the browser mode confines files: a folder outside it is not recorded. */
    private readonly checkPath?: (path: string) => Promise<void>,
  ) {}

  /** Records a folder the host handed out. False when it may not be used here (outside the browser mode's root). */
  async add(path: string): Promise<boolean> {
    try {
      await this.checkPath?.(path);
    } catch {
      return false;
    }
    this.folders.add(resolve(path));
    return true;
  }

  has(path: string): boolean {
    return this.folders.has(resolve(path));
  }

  /** The folder to read for a choice: the sample's for null, else a folder handed out before; any other is refused. */
  folderOf(choice: string | null): string {
    // The sample is no secret: a project trained on it records its path, which is accepted too.
    if (choice === null || TrustedDatasets.isSample(choice)) return sampleDatasetPath();
    if (!this.has(choice)) {
      throw new UntrustedPathError(
        `'${choice}' was not chosen in this window; choose the dataset folder with "Choose folder…"`,
      );
    }
    return resolve(choice);
  }

  /**
   * The folder a dataset's images must stay inside (ScanOptions.within) given the browser mode's root: none for
   * the built-in sample, which ships with Convas outside any root the user gives and is trusted.
   */
  static confinement(folder: string, root: string | undefined): string | undefined {
    return root === undefined || TrustedDatasets.isSample(folder) ? undefined : root;
  }

  /** True when the folder is the built-in sample (a project trained on it records its path). */
  static isSample(folder: string): boolean {
    return resolve(folder) === resolve(sampleDatasetPath());
  }
}
