import { CATEGORIES, listLayers, type Category, type LayerDef } from '../../../engine';

/** One palette group: a category and its layers, in the registry's order. */
export interface PaletteGroup {
  category: Category;
  title: string;
  layers: LayerDef[];
}

const title = (c: string) => c.charAt(0).toUpperCase() + c.slice(1);

const wordsOf = (query: string) => query.toLowerCase().split(/\s+/).filter(Boolean);

/**
 * How well a layer matches the query, lower is better; null when some word is in none of its label, type or
 * category. A word that starts the label or type beats one found only in the category ('dense' finds Dense
 * before Flatten, which sits in the dense group).
 */
function score(def: LayerDef, words: readonly string[]): number | null {
  const name = `${def.label} ${def.type}`.toLowerCase();
  let total = 0;
  for (const w of words) {
    if (name.startsWith(w) || name.includes(` ${w}`)) continue;
    else if (name.includes(w)) total += 1;
    else if (def.category.includes(w)) total += 2;
    else return null;
  }
  return total;
}

/**
 * The palette, generated from the engine's layer registry: a new layer file appears here by itself, in its
 * category. Empty groups are left out, so a search shows only what matches.
 */
export function paletteGroups(query = '', layers: readonly LayerDef[] = listLayers()): PaletteGroup[] {
  const words = wordsOf(query);
  const known = new Set<string>(CATEGORIES);
  // Categories in the engine's order; any category the list does not know yet goes last rather than missing.
  const order = [...CATEGORIES, ...new Set(layers.map((l) => l.category).filter((c) => !known.has(c)))];
  return order
    .map((category) => ({
      category,
      title: title(category),
      layers: layers
        .filter((l) => l.category === category && score(l, words) !== null)
        .sort((a, b) => score(a, words)! - score(b, words)!),
    }))
    .filter((g) => g.layers.length > 0);
}

/** The layer Enter in the search box adds: the best match, the first in palette order among equals. */
export function bestMatch(query: string, layers: readonly LayerDef[] = listLayers()): LayerDef | null {
  const words = wordsOf(query);
  let best: LayerDef | null = null;
  let bestScore = Infinity;
  for (const g of paletteGroups(query, layers)) {
    for (const l of g.layers) {
      const s = score(l, words)!;
      if (s < bestScore) [best, bestScore] = [l, s];
    }
  }
  return best;
}
