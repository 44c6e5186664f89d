import { readFile } from 'node:fs/promises';
import { RawImage } from '@huggingface/transformers';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { clipImageConfig } from './config.ts';
import { fixturesDirectory, parity, readGolden, transformersClipProcessor } from './test-support/golden.ts';
import type { ImageTensor } from './transform.ts';
import { installPillowResize } from './transformers-resize.ts';

const clipProcessor = transformersClipProcessor();

/**
 * Fixtures whose centre crop starts on a whole pixel, where Hugging Face's crop (offset floored) and
 * torchvision's (offset rounded), which made the goldens, cut the same window.
 */
const WHOLE_PIXEL_CROPS = ['hubble.jpg', 'chelsea-small.jpg', 'retina.webp', 'camera-gray.png'];

async function clipPixels(name: string): Promise<ImageTensor> {
  const image = await RawImage.fromBlob(new Blob([await readFile(`${fixturesDirectory}${name}`)]));
  const { pixel_values } = await clipProcessor(image);
  return { data: pixel_values.data as Float32Array, shape: [3, 224, 224] };
}

async function enlargedGreen(size: number): Promise<RawImage> {
  const png = await sharp({ create: { width: size, height: size, channels: 3, background: { r: 0, g: 255, b: 0 } } })
    .png()
    .toBuffer();
  const image = await RawImage.fromBlob(new Blob([png]));
  return image.resize(32, 32, { resample: 3 });
}

function greenValues(image: RawImage): number[] {
  return Array.from({ length: image.width * image.height }, (_, pixel) => image.data[pixel * 3 + 1]!);
}

// In order: Transformers.js's own resize first, then the same calls with Pillow's installed.
describe("Transformers.js's image processors with Pillow's resize", () => {
  it("shows the defect without it: Transformers.js's bicubic differs from PIL's and darkens enlarged borders", async () => {
    const figures = await Promise.all(
      WHOLE_PIXEL_CROPS.map(async (name) =>
        parity(await clipPixels(name), await readGolden(name.replace(/\.\w+$/, '.golden.png')), clipImageConfig()),
      ),
    );
    expect(Math.max(...figures.map((figure) => figure.mean))).toBeGreaterThan(0.02);
    expect(Math.min(...greenValues(await enlargedGreen(2)))).toBeLessThan(50);
  });

  it("gives PIL + torchvision's CLIP pixels once installed", async () => {
    installPillowResize();
    installPillowResize(); // a second call changes nothing
    for (const name of WHOLE_PIXEL_CROPS) {
      const figures = parity(
        await clipPixels(name),
        await readGolden(name.replace(/\.\w+$/, '.golden.png')),
        clipImageConfig(),
      );
      expect(figures.mean, name).toBeLessThan(0.01);
      expect(figures.p99, name).toBeLessThan(0.05);
    }
  });

  it('enlarges a tiny image without darkening its border', async () => {
    for (const size of [1, 2, 16]) {
      const enlarged = await enlargedGreen(size);
      expect([enlarged.width, enlarged.height, enlarged.channels]).toEqual([32, 32, 3]);
      expect(Math.min(...greenValues(enlarged)), `${size}×${size}`).toBe(255);
    }
  });

  it("leaves grey images, RGBA images and fractional sizes to Transformers.js's resize", async () => {
    const grey = new RawImage(new Uint8ClampedArray(8 * 6).fill(200), 8, 6, 1);
    const rgba = new RawImage(new Uint8ClampedArray(8 * 6 * 4).fill(200), 8, 6, 4);
    const rgb = new RawImage(new Uint8ClampedArray(8 * 6 * 3).fill(200), 8, 6, 3);
    expect((await grey.resize(4, 3)).channels).toBe(1);
    expect((await rgba.resize(4, 3)).channels).toBe(4);
    const fractional = await rgb.resize(4.5, 3);
    expect(fractional.height).toBe(3);
    // Same size: the image itself, as Transformers.js does.
    expect(await rgb.resize(8, 6)).toBe(rgb);
  });
});
