/**
 * Keys that could reach an object's prototype if some later code copied them with plain assignment.
 * Schema libraries drop or ignore them quietly; a hostile file is refused outright instead, naming where.
 */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** The JSON path of the first forbidden key in `data`, or null. Walks arrays and plain objects. */
export function findForbiddenKey(data: unknown, path = '$'): string | null {
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) {
      const found = findForbiddenKey(data[i], `${path}[${i}]`);
      if (found) return found;
    }
  } else if (typeof data === 'object' && data !== null) {
    for (const key of Object.keys(data)) {
      if (FORBIDDEN.has(key)) return `${path}.${key}`;
      const found = findForbiddenKey((data as Record<string, unknown>)[key], `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}
