import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { addPngText, crc32, readPngText } from './png-text.ts';

async function tinyPng(): Promise<Uint8Array> {
  return sharp(Buffer.from([255, 0, 0, 0, 255, 0]), { raw: { width: 2, height: 1, channels: 3 } })
    .png()
    .toBuffer();
}

describe('PNG text chunks', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.from('IEND'))).toBe(0xae426082);
  });

  it('writes tEXt for Latin-1 and iTXt for other text, and reads both back', async () => {
    const png = addPngText(await tinyPng(), {
      prompt: 'a red apple, café',
      negative_prompt: '低质量,模糊',
      seed: '42',
    });
    expect(readPngText(png)).toEqual({ prompt: 'a red apple, café', negative_prompt: '低质量,模糊', seed: '42' });
    const text = Buffer.from(png).toString('latin1');
    expect(text.indexOf('tEXtprompt')).toBeGreaterThan(0);
    expect(text.indexOf('iTXtnegative_prompt')).toBeGreaterThan(0);
    // The image itself is untouched and still decodes (sharp checks chunk CRCs).
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, ...data]).toEqual([2, 1, 255, 0, 0, 0, 255, 0]);
  });

  it('reads zTXt and compressed iTXt written by other tools', async () => {
    const base = await tinyPng();
    const chunk = (type: string, data: Buffer) => {
      const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(data.length);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(body));
      return Buffer.concat([length, body, crc]);
    };
    const zText = chunk('zTXt', Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), deflateSync('made elsewhere')]));
    const iText = chunk(
      'iTXt',
      Buffer.concat([Buffer.from('Title\0\x01\x00zh\0标题\0', 'utf8'), deflateSync(Buffer.from('向日葵', 'utf8'))]),
    );
    const png = Buffer.concat([base.subarray(0, 33), zText, iText, base.subarray(33)]);
    expect(readPngText(png)).toEqual({ Comment: 'made elsewhere', Title: '向日葵' });
  });

  it('rejects bytes that are not a PNG and bad keywords', async () => {
    expect(() => readPngText(Buffer.from('GIF89a....'))).toThrow('not a valid PNG: bad signature');
    expect(() => addPngText(new Uint8Array(0), {})).toThrow(/not a valid PNG/);
    await expect(tinyPng().then((png) => addPngText(png, { '': 'x' }))).rejects.toThrow(RangeError);
  });
});
