import { constants, type Stats } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { relative, isAbsolute } from 'node:path';

/**
 * The one way Convas reads a file it did not write itself: images in a dataset, projects, ONNX and safetensors
 * files, graphs given to the command line.
 *
 * Why not stat + readFile: `stat` reports 0 bytes for a FIFO or a character device, so a size cap that trusts it
 * lets `/dev/zero` (a .png symlinked to it) grow the process to gigabytes; and opening a FIFO blocks one of
 * libuv's four threads until a writer comes, so a few FIFOs in a dataset stopped the server answering at all,
 * SIGTERM included. Here links are resolved first, the file is opened without blocking (O_NONBLOCK: a FIFO opens
 * at once), anything but a regular file is refused by the handle's own fstat, and the bytes are counted as they
 * are read, never more than the cap, whatever stat said.
 */

/** Why an untrusted file was refused. */
export type UntrustedFileProblem = 'not-a-file' | 'too-large' | 'unreadable' | 'outside';

/** A refused file: the message names it; `reason` is the same without the path, for lists that name it already. */
export class UntrustedFileError extends Error {
  override name = 'UntrustedFileError';
  constructor(
    /** What is wrong, without the path: "is a FIFO (named pipe), not a regular file". */
    readonly reason: string,
    readonly problem: UntrustedFileProblem,
    /** The path as it was given. */
    readonly path: string,
    /** For 'unreadable': the errno code, when there is one (ENOENT for a missing file or a broken link). */
    readonly code?: string,
  ) {
    super(`'${path}' ${reason}`);
  }
}

export interface ReadUntrustedOptions {
  /** More bytes than this are never read: the file is refused instead. */
  maxBytes: number;
  /** A real folder the file must lie in once links are followed (the browser mode's --root). */
  within?: string;
}

export interface UntrustedFile {
  bytes: Buffer;
  /** Where the links led. */
  realPath: string;
}

// Not defined on Windows, where there are no FIFOs to open and no controlling terminal to acquire.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** What a non-regular file is, in words. */
function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a folder';
  return 'not a regular file';
}

const describeSize = (n: number): string =>
  n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;

/** True when `path` is `folder` or lies below it (both absolute and real). */
export function liesWithin(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The whole of a regular file, refused with its path named when it is anything else or larger than the cap. */
export async function readUntrustedFile(path: string, options: ReadUntrustedOptions): Promise<UntrustedFile> {
  const { maxBytes } = options;
  const unreadable = (e: unknown): UntrustedFileError => {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENXIO') return new UntrustedFileError('is a socket, not a regular file', 'not-a-file', path, code);
    const why =
      code === 'ENOENT'
        ? 'does not exist (or is a broken link)'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read: permission denied'
          : code === 'ELOOP'
            ? 'cannot be read: its links loop'
            : `cannot be read: ${(e as Error).message ?? String(e)}`;
    return new UntrustedFileError(why, 'unreadable', path, code);
  };
  let realPath: string;
  try {
    realPath = await realpath(path);
  } catch (e) {
    throw unreadable(e);
  }
  if (options.within !== undefined && !liesWithin(options.within, realPath)) {
    throw new UntrustedFileError(`leads outside the folder '${options.within}' through a link`, 'outside', path);
  }
  let handle: FileHandle;
  try {
    handle = await open(realPath, OPEN_FLAGS);
  } catch (e) {
    throw unreadable(e);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      const via = realPath === path ? '' : ` (it leads to '${realPath}')`;
      throw new UntrustedFileError(`is ${kindOf(st)}, not a regular file${via}`, 'not-a-file', path);
    }
    const tooLarge = (size: string) =>
      new UntrustedFileError(`is ${size}, over the cap of ${describeSize(maxBytes)}`, 'too-large', path);
    if (st.size > maxBytes) throw tooLarge(describeSize(st.size));
    const bytes = await readCounted(handle, st.size, maxBytes);
    if (!bytes) throw tooLarge(`more than ${describeSize(maxBytes)}`);
    return { bytes, realPath };
  } catch (e) {
    if (e instanceof UntrustedFileError) throw e;
    throw unreadable(e);
  } finally {
    await handle.close();
  }
}

/**
 * Reads to the end, at most `maxBytes`: null when there is more. `sizeHint` (from stat) only sizes the first
 * buffer; a file that grows while it is read, or a /proc file that reports 0, is still counted byte by byte.
 */
async function readCounted(handle: FileHandle, sizeHint: number, maxBytes: number): Promise<Buffer | null> {
  // One byte more than expected, so that reaching the end is seen without a second, empty read of a larger buffer.
  // Only a file that reports no size starts at 64 KB: a dataset's thousands of small images each took (and
  // dropped) 64 KB, which made garbage collection 5% of the main thread's time while a folder was read.
  let buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, sizeHint > 0 ? sizeHint + 1 : 64 * 1024));
  let total = 0;
  for (;;) {
    if (total === buf.length) {
      if (total > maxBytes) return null;
      const grown = Buffer.allocUnsafe(Math.min(maxBytes + 1, buf.length * 2));
      buf.copy(grown, 0, 0, total);
      buf = grown;
    }
    const { bytesRead } = await handle.read(buf, total, buf.length - total, null);
    if (bytesRead === 0) break;
    total += bytesRead;
    // A first read that returns exactly the size fstat gave, short of the spare byte, has reached the end: the
    // empty read that would confirm it was a fifth of the system calls per image. Anything else (no size given,
    // a file that grew) reads on until a read returns nothing.
    if (sizeHint > 0 && total === sizeHint && total < buf.length) break;
  }
  if (total > maxBytes) return null;
  // Most reads fill the buffer but for the spare byte; a much smaller result is copied so that the rest is freed.
  return total * 2 >= buf.length ? buf.subarray(0, total) : Buffer.from(buf.subarray(0, total));
}
