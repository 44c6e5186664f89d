/**
 * Parity figures for the report: every CLIP golden in src/preprocess/image/fixtures, measured for our
 * preprocessing, for libvips's own resize (sharp, bicubic, with and without JPEG shrink-on-load) and
 * for Transformers.js's CLIPImageProcessor. Mean / p99 / max absolute difference, normalised units.
 *
 *   node --import tsx tools/reference/image-parity.ts
 */
import { RawImage } from '@huggingface/transformers';
import sharp from 'sharp';
import { clipImageConfig } from '../../src/preprocess/image/config.ts';
import { decodeRgb } from '../../src/preprocess/image/decode.ts';
import { preprocessImage } from '../../src/preprocess/image/preprocess.ts';
import {
  fixturesDirectory,
  goldenCases,
  parity,
  readGolden,
  transformersClipProcessor,
} from '../../src/preprocess/image/test-support/golden.ts';
import { cropWindow, resizedSize, toChwFloat } from '../../src/preprocess/image/transform.ts';

const config = clipImageConfig();

/** libvips resizes (bicubic) to torchvision's size, then the same centre crop. */
async function sharpResize(path: string, fastShrinkOnLoad: boolean) {
  const decoded = await decodeRgb(path);
  const target = resizedSize(decoded.width, decoded.height, { shortestEdge: 224 });
  const window = cropWindow(target.width, target.height, { width: 224, height: 224 });
  const { data } = await sharp(path, { autoOrient: true, ignoreIcc: true })
    .removeAlpha()
    .toColourspace('srgb')
    .resize(target.width, target.height, { fit: 'fill', kernel: 'cubic', fastShrinkOnLoad })
    .extract({ left: window.left, top: window.top, width: 224, height: 224 })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: toChwFloat({ data, width: 224, height: 224 }, config), shape: [3, 224, 224] as [3, number, number] };
}

const transformersProcessor = transformersClipProcessor();

async function transformersJs(path: string) {
  const image = await RawImage.read(path);
  const { pixel_values } = await transformersProcessor(image);
  return { data: pixel_values.data as Float32Array, shape: [3, 224, 224] as [3, number, number] };
}

const format = (figures: { mean: number; p99: number; max: number }) =>
  `${figures.mean.toFixed(4)} / ${figures.p99.toFixed(3)} / ${figures.max.toFixed(2)}`;

console.log('fixture | ours | sharp cubic | sharp cubic, no shrink-on-load | Transformers.js  (mean / p99 / max)');
for (const testCase of goldenCases().filter((candidate) => candidate.kind === 'clip')) {
  const path = `${fixturesDirectory}${testCase.input}`;
  const golden = await readGolden(testCase.golden);
  const columns = [
    await preprocessImage(path),
    await sharpResize(path, true),
    await sharpResize(path, false),
    await transformersJs(path).catch((error) => error as Error),
  ].map((result) => (result instanceof Error ? `error: ${result.message}` : format(parity(result, golden, config))));
  console.log(`${testCase.input} | ${columns.join(' | ')}`);
}
