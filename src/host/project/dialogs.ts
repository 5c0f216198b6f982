/**
 * How the host asks the user for a file or folder. The desktop app implements it with Electron's native
 * dialogs (electron/main/dialogs.ts); the browser mode with in-page pickers confined to one folder
 * (src/host/server/picker.ts). Every function resolves to an absolute path, or null when the user cancels.
 * Paths that reach the project session come from here or from the recent list, never from the window.
 */
export interface Dialogs {
  openFile(options: { title: string; extensions: string[] }): Promise<string | null>;
  /** `extensions[0]` is appended to the chosen name when it has none of them. */
  saveFile(options: { title: string; extensions: string[]; defaultName: string }): Promise<string | null>;
  pickFolder(options: { title: string }): Promise<string | null>;
}

/** Appends `extension` unless `path` already ends with it (case-insensitively). */
export function withExtension(path: string, extension: string): string {
  return path.toLowerCase().endsWith(extension.toLowerCase()) ? path : path + extension;
}
