import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The worked examples of the source text, copied from the seed into tests/fixtures/seed so that a clone with
 * nothing beside it can run every test.
 */
export const worked = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/seed/worked-examples.json', import.meta.url)), 'utf8'),
);
