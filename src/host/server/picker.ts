import { randomBytes } from 'node:crypto';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DialogRequest, Listing } from '../../shared/api';
import type { Dialogs } from '../project/dialogs';
import { withExtension } from '../project/dialogs';
import { isInside, PathError, resolveInside, toRelative } from './confine';
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

  /** The entries of `folder` the open dialog may show: sub-folders, and files with its extensions. */
  async browse(dialogId: string, folder: string): Promise<Listing> {
    const { request } = this.current(dialogId);
    const dir = await resolveInside(this.root, folder);
    if (!(await stat(dir)).isDirectory()) throw new PathError(`'${folder}' is not a folder`);
    const entries: Listing['entries'] = [];
    let truncated = false;
    for (const d of await readdir(dir, { withFileTypes: true })) {
      if (d.name.startsWith('.')) continue;
      const kind = await this.kindOf(join(dir, d.name));
      if (kind === null || (kind === 'file' && !matches(d.name, request))) continue;
      if (entries.length === MAX_ENTRIES) {
        truncated = true;
        break;
      }
      entries.push({ name: d.name, kind });
    }
    entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'folder' ? -1 : 1));
    const rel = toRelative(this.root, dir);
    const parent = rel === '' ? null : rel.split('/').slice(0, -1).join('/');
    return { folder: rel, parent, root: this.root, entries, truncated };
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
    if (name === '' || name === '.' || name === '..' || name.length > 255 || /[\\:*?"<>|\0]/.test(name)) {
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

  /** 'folder' or 'file' after following a link, or null when it is neither or leads outside the root. */
  private async kindOf(path: string): Promise<'folder' | 'file' | null> {
    try {
      const real = await realpath(path);
      if (!isInside(this.root, real)) return null;
      const info = await stat(real);
      return info.isDirectory() ? 'folder' : info.isFile() ? 'file' : null;
    } catch {
      return null;
    }
  }
}

function matches(name: string, request: DialogRequest): boolean {
  if (request.kind === 'folder') return false;
  const lower = name.toLowerCase();
  return request.extensions.some((e) => lower.endsWith(e.toLowerCase()));
}
