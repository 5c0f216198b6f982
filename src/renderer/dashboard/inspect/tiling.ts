/** A tiled picture's layout, as the host describes feature maps and filters. */
export interface Tiling {
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  gap: number;
}

/**
 * How large to draw a tiled picture within maxWidth × maxHeight: its size in source pixels times the largest
 * whole-number zoom that fits (at least 1), so that every source pixel stays square and sharp.
 */
export function displaySize(o: Tiling, maxWidth: number, maxHeight: number): { width: number; height: number } {
  const width = o.columns * (o.tileWidth + o.gap) - o.gap;
  const height = o.rows * (o.tileHeight + o.gap) - o.gap;
  const zoom = Math.max(1, Math.floor(Math.min(maxWidth / Math.max(width, 1), maxHeight / Math.max(height, 1))));
  return { width: width * zoom, height: height * zoom };
}
