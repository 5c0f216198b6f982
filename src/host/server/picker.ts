import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, parse, resolve } from 'node:path';
import type { DialogRequest, Listing } from '../../shared/api';
import type { Dialogs } from '../project/dialogs';
import { withExtension } from '../project/dialogs';
import { isInside, lexicalInside, PathError, resolveInside, toRelative } from './confine';
import type { Emit } from './dispatch';

/** A listing stops here; the picker says it is truncated. */
const MAX_ENTRIES = 2000;

interface Pending {
  request: DialogRequest;
  resolve: (path: string | null) => void;
}

/**
 * The browser mode's dialogs. The page cannot show the host's file system, so asking for a file sends the page
 * a `dialogRequest`; its in-page picker lists folders with `browse` and answers with `answerDialog`. Everything
 * stays under `root` (a real path): listings skip links that lead out, and an answer is resolved and checked
 * before the dialog's promise resolves. One dialog at a time; a new one cancels the old.
 */
export class InPagePicker implements Dialogs {
  private pending: Pending | null = null;

  constructor(
    private readonly root: string,
    private readonly emit: Emit,
  ) {}

  openFile(o: { title: string; extensions: string[] }): Promise<string | null> {
    return this.ask({ kind: 'open', title: o.title, extensions: o.extensions });
  }

  saveFile(o: { title: string; extensions: string[]; defaultName: string }): Promise<string | null> {
    return this.ask({ kind: 'save', title: o.title, extensions: o.extensions, defaultName: o.defaultName });
  }

  pickFolder(o: { title: string }): Promise<string | null> {
    return this.ask({ kind: 'folder', title: o.title, extensions: [] });
  }

  /**
   * The entries of `folder` the dialog may show: sub-folders, and files with its extensions. Links are
   * followed and marked; the folder keeps the path the user took (a link's name, not its target), so that
   * going up leads back where they came from. Links that lead out of the root are counted, not listed.
   */
  async browse(dialogId: string, folder: string): Promise<Listing> {
    const { request } = this.current(dialogId);
    const dir = await resolveInside(this.root, folder);
    if (!(await stat(dir)).isDirectory()) throw new PathError(`'${folder}' is not a folder`);
    const lexical = lexicalInside(this.root, folder);
    const entries: Listing['entries'] = [];
    let truncated = false;
    let hiddenLinks = 0;
    const names = await readdir(dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      throw new PathError(
        e.code === 'EACCES' || e.code === 'EPERM'
          ? `you may not read the folder '${lexical}'`
          : `'${lexical}' cannot be read (${e.code ?? e.message})`,
      );
    });
    for (const d of names) {
      if (d.name.startsWith('.')) continue;
      const kind = await this.kindOf(join(dir, d.name));
      if (kind === 'outside') hiddenLinks++;
      if (kind === null || kind === 'outside' || (kind === 'file' && !matches(d.name, request))) continue;
      if (entries.length === MAX_ENTRIES) {
        truncated = true;
        break;
      }
      entries.push(d.isSymbolicLink() ? { name: d.name, kind, link: true } : { name: d.name, kind });
    }
    entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'folder' ? -1 : 1));
    const rel = toRelative(this.root, lexical);
    const parent = rel === '' ? null : rel.split('/').slice(0, -1).join('/');
    return {
      folder: rel,
      parent,
      root: this.root,
      entries,
      truncated,
      home: this.home,
      confined: parse(this.root).root !== this.root,
      hiddenLinks,
    };
  }

  /** Makes a new, empty folder `name` in `folder` (both under the root) for the open dialog. */
  async makeFolder(dialogId: string, folder: string, name: string): Promise<{ folder: string }> {
    this.current(dialogId);
    if (!isPlainName(name)) throw new PathError(`'${name}' is not a usable folder name`);
    const dir = await resolveInside(this.root, folder);
    await mkdir(join(dir, name)).catch((e: NodeJS.ErrnoException) => {
      throw new PathError(
        e.code === 'EEXIST'
          ? `'${name}' already exists here`
          : `the folder '${name}' cannot be made here (${e.code ?? e.message})`,
      );
    });
    return { folder: toRelative(this.root, join(lexicalInside(this.root, folder), name)) };
  }

  /** The home folder relative to the root, when it is inside it. */
  private get home(): string | null {
    const home = resolve(homedir());
    return isInside(this.root, home) ? toRelative(this.root, home) : null;
  }

  /**
   * The page's answer. A bad choice (outside the root, missing, the wrong kind) throws and leaves the dialog
   * open, so that the user can choose again; null cancels it.
   */
  async answer(dialogId: string, rel: string | null): Promise<void> {
    const pending = this.current(dialogId);
    const path = rel === null ? null : await this.check(pending.request, rel);
    this.pending = null;
    pending.resolve(path);
  }

  /** Cancels the open dialog, if any (the page went away). */
  cancel(): void {
    const pending = this.pending;
    this.pending = null;
    pending?.resolve(null);
  }

  private ask(o: Omit<DialogRequest, 'dialogId'>): Promise<string | null> {
    this.cancel();
    const request: DialogRequest = { dialogId: randomBytes(12).toString('hex'), ...o };
    return new Promise((resolve) => {
      this.pending = { request, resolve };
      this.emit('dialogRequest', request);
    });
  }

  private current(dialogId: string): Pending {
    if (!this.pending || this.pending.request.dialogId !== dialogId) {
      throw new PathError('that file dialog is no longer open');
    }
    return this.pending;
  }

  private async check(request: DialogRequest, rel: string): Promise<string> {
    if (request.kind === 'save') return this.checkSave(request, rel);
    const path = await resolveInside(this.root, rel);
    const info = await stat(path);
    if (request.kind === 'folder') {
      if (!info.isDirectory()) throw new PathError(`'${rel}' is not a folder`);
    } else if (!info.isFile() || !matches(path, request)) {
      throw new PathError(`'${rel}' is not a ${request.extensions.join(' or ')} file`);
    }
    return path;
  }

  /** A save target: an existing folder under the root and a plain file name, never a link or a folder. */
  private async checkSave(request: DialogRequest, rel: string): Promise<string> {
    const parts = rel.split('/');
    const name = parts.pop() ?? '';
    if (!isPlainName(name)) {
      throw new PathError(`'${name}' is not a usable file name`);
    }
    const dir = await resolveInside(this.root, parts.join('/'));
    if (!(await stat(dir)).isDirectory()) throw new PathError(`'${parts.join('/')}' is not a folder`);
    const target = join(dir, request.extensions[0] ? withExtension(name, request.extensions[0]) : name);
    const existing = await lstat(target).catch(() => null);
    if (existing && !existing.isFile())
      throw new PathError(`'${toRelative(this.root, target)}' exists and is not a plain file`);
    return target;
  }

  /** 'folder' or 'file' after following a link, 'outside' for a link out of the root, or null for neither. */
  private async kindOf(path: string): Promise<'folder' | 'file' | 'outside' | null> {
    try {
      const real = await realpath(path);
      if (!isInside(this.root, real)) return 'outside';
      const info = await stat(real);
      return info.isDirectory() ? 'folder' : info.isFile() ? 'file' : null;
    } catch {
      return null;
    }
  }
}

/** A name for one file or folder: no separators, nothing a file system or shell would read specially. */
function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && name.length <= 255 && !/[/\\:*?"<>|\0]/.test(name);
}

function matches(name: string, request: DialogRequest): boolean {
  if (request.kind === 'folder') return false;
  const lower = name.toLowerCase();
  return request.extensions.some((e) => lower.endsWith(e.toLowerCase()));
}
