import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * The main window's options: every Electron security switch on (contextIsolation, sandbox, no Node in the page
 * or its workers and frames, no webview, web security on). The preload is the page's only way to the host.
 */
export function windowOptions(preload: string, devTools: boolean): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 800,
    minWidth: 720,
    minHeight: 480,
    title: 'Convas',
    show: false,
    backgroundColor: '#f7f7f9',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools,
    },
  };
}
