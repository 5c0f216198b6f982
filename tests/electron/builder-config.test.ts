import { resolve } from 'node:path';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { DebugLogger } from 'builder-util/out/DebugLogger';
import { describe, expect, it } from 'vitest';
import pkg from '../../package.json';

/**
 * Packaging needs the Electron binaries, which cannot be downloaded here, so the configuration is checked
 * instead, with electron-builder's own loader and JSON-schema validation.
 */
const config = await getConfig(resolve('.'), resolve('electron-builder.yml'), null);

const targetsOf = (platform: unknown) =>
  ((platform as { target: (string | { target: string })[] }).target ?? []).map((t) =>
    typeof t === 'string' ? t : t.target,
  );

describe('electron-builder.yml', () => {
  it("passes electron-builder's schema validation", async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('the validation is real: a misspelt fuse is refused', async () => {
    const bad = { ...config, electronFuses: { ...config.electronFuses, runAsNod: false } };
    await expect(validateConfiguration(bad as typeof config, new DebugLogger(false))).rejects.toThrow(
      /configuration\.electronFuses/,
    );
  });

  it('builds AppImage and deb for Linux, NSIS for Windows, dmg for macOS', () => {
    expect(targetsOf(config.linux)).toEqual(['AppImage', 'deb']);
    expect(targetsOf(config.win)).toEqual(['nsis']);
    expect(targetsOf(config.mac)).toEqual(['dmg']);
  });

  it('sets the Electron fuses: no RunAsNode, encrypted cookies, the app only from its asar', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableCookieEncryption: true,
      onlyLoadAppFromAsar: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('packs into the integrity-checked asar everything but sharp, whose native files the OS loader must read', () => {
    expect(config.asar).toBe(true);
    expect(config.electronFuses?.enableEmbeddedAsarIntegrityValidation).toBe(true);
    expect(config.asarUnpack).toEqual(['node_modules/sharp/**', 'node_modules/@img/**']);
    // Issue 15: the training worker and its chunks used to be unpacked, outside the integrity check.
    expect((config.asarUnpack as string[]).filter((glob) => !glob.startsWith('node_modules/'))).toEqual([]);
  });

  it('ships the built app, whose main entry is in it, and the templates', () => {
    expect(pkg.main).toBe('out/main/index.js');
    // The loader normalises `files` into file sets with filters.
    const filters = (config.files as { filter: string[] }[]).flatMap((set) => set.filter);
    expect(filters).toEqual(expect.arrayContaining(['out/**', 'resources/templates/**', 'package.json']));
    expect(config.fileAssociations).toEqual([
      expect.objectContaining({ ext: 'convas', mimeType: 'application/x-convas' }),
    ]);
  });
});
