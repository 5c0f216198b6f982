import type { BrowserWindow, Dialog, FileFilter } from 'electron';
import type { Dialogs } from '../../src/host/project/dialogs';
import { withExtension } from '../../src/host/project/dialogs';
import { PROJECT_EXTENSION } from '../../src/shared/project';

function filtersFor(extensions: string[]): FileFilter[] {
  const bare = extensions.map((e) => e.replace(/^\./, ''));
  const name = extensions.length === 1 && extensions[0] === PROJECT_EXTENSION ? 'Convas projects' : bare.join(', ');
  return [{ name, extensions: bare }];
}

/** The desktop app's dialogs: Electron's native ones, attached to the main window. */
export class NativeDialogs implements Dialogs {
  constructor(
    private readonly dialog: Pick<Dialog, 'showOpenDialog' | 'showSaveDialog'>,
    private readonly window: () => BrowserWindow,
  ) {}

  async openFile(o: { title: string; extensions: string[] }): Promise<string | null> {
    const r = await this.dialog.showOpenDialog(this.window(), {
      title: o.title,
      properties: ['openFile'],
      filters: filtersFor(o.extensions),
    });
    return r.canceled ? null : (r.filePaths[0] ?? null);
  }

  async saveFile(o: { title: string; extensions: string[]; defaultName: string }): Promise<string | null> {
    const r = await this.dialog.showSaveDialog(this.window(), {
      title: o.title,
      defaultPath: o.defaultName,
      filters: filtersFor(o.extensions),
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    });
    if (r.canceled || !r.filePath) return null;
    return o.extensions[0] ? withExtension(r.filePath, o.extensions[0]) : r.filePath;
  }

  async pickFolder(o: { title: string }): Promise<string | null> {
    const r = await this.dialog.showOpenDialog(this.window(), {
      title: o.title,
      properties: ['openDirectory', 'createDirectory'],
    });
    return r.canceled ? null : (r.filePaths[0] ?? null);
  }
}
