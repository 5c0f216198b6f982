/** How large to draw a tiled picture: whole-number zoom, so that every source pixel stays square and sharp. */
export function zoomFor(
  o: { columns: number; rows: number; tileWidth: number; tileHeight: number; gap: number },
  maxWidth: number,
  maxHeight: number,
): number {
  const width = o.columns * (o.tileWidth + o.gap) - o.gap;
  const height = o.rows * (o.tileHeight + o.gap) - o.gap;
  return Math.max(1, Math.floor(Math.min(maxWidth / Math.max(width, 1), maxHeight / Math.max(height, 1))));
}

/** The picture's size in source pixels. */
export function pixelSize(o: { columns: number; rows: number; tileWidth: number; tileHeight: number; gap: number }) {
  return {
    width: o.columns * (o.tileWidth + o.gap) - o.gap,
    height: o.rows * (o.tileHeight + o.gap) - o.gap,
  };
}
