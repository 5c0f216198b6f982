import { describe, expect, it } from 'vitest';
import {
  commonPrefix,
  PickerMemory,
  purposeOf,
  splitTyped,
  toAbsolute,
  toRelative,
} from '../../src/renderer/shell/picker/paths';

const open = { root: '/', home: 'home/ann', current: 'home/ann/data', confined: false };
const confined = { root: '/home/ann', home: '', current: 'data', confined: true };

describe('the in-page picker’s paths', () => {
  it('takes absolute, home-relative and folder-relative paths, with . and ..', () => {
    expect(toRelative('/srv/images/', open)).toBe('srv/images');
    expect(toRelative('~/Pictures', open)).toBe('home/ann/Pictures');
    expect(toRelative('~', open)).toBe('home/ann');
    expect(toRelative('train/../val/./cats', open)).toBe('home/ann/data/val/cats');
    expect(toRelative('/', open)).toBe('');
    expect(toRelative('/home/ann/data', confined)).toBe('data');
    expect(toRelative('~/x', confined)).toBe('x');
  });

  it('says why a path outside a --root cannot be used', () => {
    const outside = toRelative('/etc/passwd', confined);
    expect(outside).toBeInstanceOf(Error);
    expect((outside as Error).message).toBe(
      "'/etc/passwd' is outside /home/ann, the only folder this server may use (it was started with --root)",
    );
    expect(toRelative('../..', confined)).toBeInstanceOf(Error);
    expect(toRelative('/home/annex', confined)).toBeInstanceOf(Error);
    expect(toRelative('~', { ...confined, home: null })).toBeInstanceOf(Error);
  });

  it('shows relative paths as absolute ones, and splits what is typed for completion', () => {
    expect(toAbsolute('/', '')).toBe('/');
    expect(toAbsolute('/', 'home/ann')).toBe('/home/ann');
    expect(toAbsolute('/home/ann', 'data')).toBe('/home/ann/data');
    expect(splitTyped('/home/ann/Do')).toEqual(['/home/ann/', 'Do']);
    expect(splitTyped('Do')).toEqual(['', 'Do']);
    expect(commonPrefix(['Documents', 'Downloads', 'Dots'])).toBe('Do');
    expect(commonPrefix([])).toBe('');
  });

  it('remembers folders per purpose, the latest first, and forgets on request', () => {
    const data = new Map<string, string>();
    const storage = {
      getItem: (k: string) => data.get(k) ?? null,
      setItem: (k: string, v: string) => void data.set(k, v),
    } as unknown as Storage;
    const memory = new PickerMemory(storage);
    const folder = purposeOf({ kind: 'folder', extensions: [] });
    const projects = purposeOf({ kind: 'save', extensions: ['.convas'] });
    expect(projects).toBe(purposeOf({ kind: 'open', extensions: ['.convas'] }));
    memory.used(folder, '/data/a');
    memory.used(folder, '/data/b');
    memory.used(folder, '/data/a');
    memory.used(projects, '/home/ann/projects');
    expect(memory.recent(folder)).toEqual(['/data/a', '/data/b']);
    expect(memory.recent(projects)).toEqual(['/home/ann/projects']);
    for (let i = 0; i < 10; i++) memory.used(folder, `/f${i}`);
    expect(memory.recent(folder)).toHaveLength(6);
    memory.forget(folder, '/f9');
    expect(memory.recent(folder)[0]).toBe('/f8');
    data.set('convas.picker', 'not json');
    expect(memory.recent(folder)).toEqual([]);
  });
});
