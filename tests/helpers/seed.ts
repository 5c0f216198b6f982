import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** ../shared beside the project folder (CI lays a copy of it there too). */
export const sharedDir = fileURLToPath(new URL('../../../shared/', import.meta.url));

export const worked = JSON.parse(readFileSync(`${sharedDir}seed/worked-examples.json`, 'utf8'));
