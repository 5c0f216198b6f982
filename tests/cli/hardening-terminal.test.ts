import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLEAR_LINE, terminalSafe } from '../../src/cli/terminal';

/**
 * Issue 15, item 7: file and class names reached the terminal raw in `convas report`, so a file named with
 * escape sequences could clear the screen, recolour the terminal or set its window title.
 */

const bin = join(import.meta.dirname, '../../bin/convas.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'convas-terminal-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Clear screen, a colour, a window title (OSC ... BEL), a C1 CSI, a right-to-left override.
/** Any control character a terminal would act on (the same set terminalSafe escapes). */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/;

const HOSTILE = ['clear\x1b[2J\x1b[H', 'red\x1b[31m', 'title\x1b]0;pwned\x07', 'csi\u009b2J', 'rtl\u202egnp.exe'];

describe('names written to a terminal', () => {
  it('escape every control character but newline and tab, and keep the progress bar’s own', () => {
    expect(terminalSafe('a\x1b[2Jb\r\x07\x7f\u009b\u202e\tc\n')).toBe(
      'a\\u001b[2Jb\\u000d\\u0007\\u007f\\u009b\\u202e\tc\n',
    );
    expect(terminalSafe(`${CLEAR_LINE}epoch 1 \x1b[31m`)).toBe(`${CLEAR_LINE}epoch 1 \\u001b[31m`);
    expect(terminalSafe('plain text: é, 日本, emoji 🙂')).toBe('plain text: é, 日本, emoji 🙂');
  });

  it('`convas report` prints hostile file and class names escaped, and --json stays valid JSON', () => {
    const root = join(tmp, 'data');
    for (const cls of ['ok', `cls\x1b[7m`]) {
      mkdirSync(join(root, cls), { recursive: true });
      // Text named like images: each one is listed in the report by name.
      for (const name of HOSTILE) writeFileSync(join(root, cls, `${name}.png`), 'not an image');
    }
    const r = spawnSync(process.execPath, [bin, 'report', root], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ok/clear\\u001b[2J\\u001b[H.png: not-an-image');
    expect(r.stdout).toContain('ok/title\\u001b]0;pwned\\u0007.png');
    expect(r.stdout).toContain('cls\\u001b[7m');
    expect(r.stdout).not.toMatch(RAW_CONTROL);

    const json = spawnSync(process.execPath, [bin, 'report', root, '--json'], { encoding: 'utf8' });
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    const report = JSON.parse(json.stdout) as { skipped: { rel: string }[] };
    expect(report.skipped.map((s) => s.rel)).toContain(`ok/csi\u009b2J.png`);
    expect(report.skipped.map((s) => s.rel)).toContain(`cls\x1b[7m/rtl\u202egnp.exe.png`);
  });

  it('an error naming a hostile path is escaped too', () => {
    const r = spawnSync(process.execPath, [bin, 'import', join(tmp, 'no\x1b[2Jsuch.onnx'), '--out', join(tmp, 'x')], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no\\u001b[2Jsuch.onnx');
    expect(r.stderr).not.toContain('\x1b');
  });
});
