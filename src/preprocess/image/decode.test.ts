import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMmkitError } from '../../errors.ts';
import { decodeRgb } from './decode.ts';
import { fixturesDirectory } from './test-support/golden.ts';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mmkit-decode-'));
});

async function expectOneLineError(input: string | Uint8Array, pattern: RegExp, options = {}) {
  const error = await decodeRgb(input, options).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(isMmkitError(error)).toBe(true);
  expect((error as Error).message).toMatch(pattern);
  expect((error as Error).message).not.toContain('\n');
}

describe('decodeRgb', () => {
  it('applies EXIF orientation (6: stored landscape, shown portrait)', async () => {
    const image = await decodeRgb(`${fixturesDirectory}chelsea-exif6.jpg`);
    expect([image.width, image.height]).toEqual([300, 451]);
    expect(image.data.length).toBe(300 * 451 * 3);
  });

  it('decodes an iPhone-style HEIC (HEVC in HEIF) to the pixels of the JPEG it was made from, within HEVC loss', async () => {
    const heic = await decodeRgb(`${fixturesDirectory}chelsea-small.heic`);
    const jpeg = await decodeRgb(`${fixturesDirectory}chelsea-small.jpg`);
    expect([heic.width, heic.height]).toEqual([jpeg.width, jpeg.height]);
    let difference = 0;
    for (let index = 0; index < jpeg.data.length; index++)
      difference += Math.abs(jpeg.data[index]! - heic.data[index]!);
    expect(difference / jpeg.data.length).toBeLessThan(1.5);
    const bytes = await readFile(`${fixturesDirectory}chelsea-small.heic`);
    await expectOneLineError(bytes.subarray(0, 6000), /^photo\.heic: the HEIC image is truncated or corrupt/, {
      name: 'photo.heic',
    });
    await expectOneLineError(bytes, /^photo\.heic: 131×197 is 25807 pixels, over the limit of 1000$/, {
      name: 'photo.heic',
      maxPixels: 1000,
    });
  });

  // Palette PNGs with a transparent index are covered bit for bit by the astronaut-palette golden.
  it('drops alpha without compositing', async () => {
    const rgba = await sharp(Buffer.from([10, 20, 30, 0, 200, 100, 50, 128]), {
      raw: { width: 2, height: 1, channels: 4 },
    })
      .png()
      .toBuffer();
    expect(Array.from((await decodeRgb(rgba)).data)).toEqual([10, 20, 30, 200, 100, 50]);
  });

  it('replicates grey into three channels', async () => {
    const grey = await sharp(Buffer.from([0, 77, 255]), { raw: { width: 3, height: 1, channels: 1 } })
      .png()
      .toBuffer();
    expect(Array.from((await decodeRgb(grey)).data)).toEqual([0, 0, 0, 77, 77, 77, 255, 255, 255]);
  });

  it('names the file for a missing file, a directory, an empty file and a non-image', async () => {
    await expectOneLineError(join(directory, 'nope.jpg'), /nope\.jpg: no such file/);
    await expectOneLineError(directory, /is a directory/);
    await writeFile(join(directory, 'empty.png'), new Uint8Array(0));
    await expectOneLineError(join(directory, 'empty.png'), /empty\.png: empty file/);
    await writeFile(join(directory, 'notes.png'), 'just some text, not a picture\n');
    await expectOneLineError(join(directory, 'notes.png'), /notes\.png: not a readable image/);
  });

  it.each(['rocket.jpg', 'coffee-alpha.png', 'retina.webp'])('refuses a truncated %s', async (name) => {
    const bytes = await readFile(`${fixturesDirectory}${name}`);
    const path = join(directory, `cut-${name}`);
    await writeFile(path, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expectOneLineError(path, new RegExp(`cut-${name.replace('.', '\\.')}: `));
  });

  it('refuses an image over the pixel bound before decoding it', async () => {
    await expectOneLineError(
      `${fixturesDirectory}rocket.jpg`,
      /rocket\.jpg: 640×427 is 273280 pixels, over the limit/,
      {
        maxPixels: 100_000,
      },
    );
  });

  it('names bytes by the name it is given', async () => {
    await expectOneLineError(new Uint8Array([1, 2, 3, 4]), /^upload\.jpg: /, { name: 'upload.jpg' });
  });
});
