// Regenerates the README's screenshots (docs/*.png). They are taken by the end-to-end tests themselves, which
// write them only when CONVAS_DOCS_DIR is set (tests/e2e/harness/docs-shots.ts); `npm test` leaves docs/ alone.
//
//   npm run docs:screenshots
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const files = [
  'tests/e2e/canvas.test.ts',
  'tests/e2e/dashboard.test.ts',
  'tests/e2e/data-access.test.ts',
  'tests/e2e/canvas-scale.test.ts',
];
const r = spawnSync(process.execPath, [vitest, 'run', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, CONVAS_DOCS_DIR: join(root, 'docs') },
});
process.exit(r.status ?? 1);
