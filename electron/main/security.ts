import type { Session, Shell, WebContents } from 'electron';

/** The custom protocol the packaged app's pages come from: app://convas/index.html. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'convas';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * The origins pages may come from: the app protocol, and in development the electron-vite dev server.
 * Compared as protocol + host, since a custom scheme's URL has no `origin` ('null').
 */
export function allowedOrigins(devServerUrl: string | undefined): string[] {
  const out = [APP_ORIGIN];
  if (devServerUrl) {
    const u = new URL(devServerUrl);
    out.push(`${u.protocol}//${u.host}`);
  }
  return out;
}

export function isAppUrl(url: string, origins: readonly string[]): boolean {
  try {
    const u = new URL(url);
    return origins.includes(`${u.protocol}//${u.host}`);
  } catch {
    return false;
  }
}

/** Opens http(s) links in the system browser; anything else (file:, javascript:, custom schemes) is dropped. */
export function openExternalSafely(shell: Pick<Shell, 'openExternal'>, url: string): boolean {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    return false;
  }
  if (protocol !== 'http:' && protocol !== 'https:') return false;
  void shell.openExternal(url);
  return true;
}

/**
 * Locks down every web contents (Electron security checklist): no navigation away from the app (links open
 * in the system browser instead), no new windows, no <webview>.
 */
export function hardenWebContents(
  contents: WebContents,
  origins: readonly string[],
  shell: Pick<Shell, 'openExternal'>,
): void {
  const stay = (event: { preventDefault(): void }, url: string) => {
    if (isAppUrl(url, origins)) return;
    event.preventDefault();
    openExternalSafely(shell, url);
  };
  contents.on('will-navigate', stay);
  contents.on('will-redirect', stay);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openExternalSafely(shell, url);
    return { action: 'deny' };
  });
}

/** Refuses every permission (camera, notifications, geolocation, …): the app needs none. */
export function denyPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
