/**
 * Does an image likely show text? The cheap test behind `--ocr auto`: no OCR pass, about a quarter of
 * the time of one (0.15 s against 0.6 s for a 1080×1920 screenshot, most of it PNG decoding).
 *
 * The image is made grayscale and at most 768 px on its longest side, then cut into 24 px tiles. A
 * tile looks like text when (1) more than 10% of its pixels sit on a strong edge, (2) more than half
 * are flat (printed text sits on a plain background, photo texture does not), and (3) a line through
 * it crosses the ink/background boundary at least twice on average (letter strokes; the outline of a
 * silhouette or a logo crosses once). Measured on scikit-image's photos and on rendered text
 * (bench/classic.bench.ts prints the figures): photos have 0–6 such tiles (the coffee cup 6, the
 * rocket with its lettering 3), text images 20 or more — except a two-letter label, hence the
 * second, relative rule.
 */
import sharp from 'sharp';
import { describeError, MmkitError } from '../../errors.ts';

const MAX_SIDE = 768;
const TILE = 24;
const STRONG_GRADIENT = 80;
const FLAT_GRADIENT = 8;
/** Text likely: at least this many text tiles... */
export const MIN_TEXT_TILES = 8;
/** ...or at least this fraction of all tiles (small images). */
export const MIN_TEXT_TILE_FRACTION = 0.2;

export interface TextDensity {
  /** Tiles that look like printed text. */
  textTiles: number;
  tiles: number;
  /** textTiles / tiles. */
  density: number;
  likelyText: boolean;
}

export async function textDensity(image: Uint8Array | string, options: { name?: string } = {}): Promise<TextDensity> {
  let gray: { data: Buffer; info: { width: number; height: number } };
  try {
    gray = await sharp(image)
      .rotate()
      .grayscale()
      .resize({ width: MAX_SIDE, height: MAX_SIDE, fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    const name = options.name ?? (typeof image === 'string' ? image : 'image');
    throw new MmkitError(`${name}: not a readable image (${describeError(error)})`, {
      code: 'image_unreadable',
      param: name,
      cause: error,
    });
  }
  const { data, info } = gray;
  let tiles = 0;
  let textTiles = 0;
  for (let top = 0; top + TILE <= info.height; top += TILE) {
    for (let left = 0; left + TILE <= info.width; left += TILE) {
      tiles++;
      if (looksLikeText(data, info.width, info.height, left, top)) textTiles++;
    }
  }
  // An image smaller than one tile is judged as one tile.
  if (tiles === 0) {
    tiles = 1;
    if (info.width > 2 && info.height > 2 && looksLikeText(data, info.width, info.height, 0, 0)) textTiles = 1;
  }
  const density = textTiles / tiles;
  return { textTiles, tiles, density, likelyText: textTiles >= MIN_TEXT_TILES || density >= MIN_TEXT_TILE_FRACTION };
}

function looksLikeText(data: Buffer, width: number, height: number, left: number, top: number): boolean {
  const right = Math.min(width, left + TILE);
  const bottom = Math.min(height, top + TILE);
  let strong = 0;
  let flat = 0;
  let count = 0;
  let darkest = 255;
  let brightest = 0;
  for (let y = Math.max(1, top); y < Math.min(height - 1, bottom); y++) {
    for (let x = Math.max(1, left); x < Math.min(width - 1, right); x++) {
      const index = y * width + x;
      const gradient =
        Math.abs(data[index + 1] - data[index - 1]) + Math.abs(data[index + width] - data[index - width]);
      count++;
      if (gradient > STRONG_GRADIENT) strong++;
      else if (gradient < FLAT_GRADIENT) flat++;
      darkest = Math.min(darkest, data[index]);
      brightest = Math.max(brightest, data[index]);
    }
  }
  if (count === 0 || strong / count <= 0.1 || flat / count <= 0.5) return false;
  return meanCrossings(data, width, { left, top, right, bottom }, (darkest + brightest) / 2) >= 2;
}

/** Average number of ink/background changes along the tile's rows and columns that have any. */
function meanCrossings(
  data: Buffer,
  width: number,
  tile: { left: number; top: number; right: number; bottom: number },
  threshold: number,
): number {
  let crossings = 0;
  let lines = 0;
  const count = (start: number, step: number, length: number) => {
    let changes = 0;
    for (let offset = 1; offset < length; offset++) {
      const here = data[start + offset * step] > threshold;
      const before = data[start + (offset - 1) * step] > threshold;
      if (here !== before) changes++;
    }
    if (changes > 0) {
      crossings += changes;
      lines++;
    }
  };
  for (let y = tile.top; y < tile.bottom; y++) count(y * width + tile.left, 1, tile.right - tile.left);
  for (let x = tile.left; x < tile.right; x++) count(tile.top * width + x, width, tile.bottom - tile.top);
  return lines === 0 ? 0 : crossings / lines;
}
