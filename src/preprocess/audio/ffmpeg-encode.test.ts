import { describe, expect, it } from 'vitest';
import { decodeWithFfmpeg } from './ffmpeg.ts';
import { encodeStreamWithFfmpeg, encodeWithFfmpeg } from './ffmpeg-encode.ts';

const RATE = 16_000;
/** A second of a 440 Hz tone. */
const tone = (level: number) =>
  Float32Array.from({ length: RATE }, (_, index) => level * Math.sin((2 * Math.PI * 440 * index) / RATE));

async function* pieces(list: Float32Array[], failAfter?: number): AsyncGenerator<Float32Array> {
  for (const [index, piece] of list.entries()) {
    if (index === failAfter) throw new Error('the voice broke down');
    yield piece;
  }
}

describe('encodeStreamWithFfmpeg', () => {
  it('encodes pieces as they come into one file, the same length as the whole', async () => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of encodeStreamWithFfmpeg(pieces([tone(0.5), tone(0.25), tone(0.5)]), RATE, 'flac')) {
      chunks.push(chunk);
    }
    const decoded = await decodeWithFfmpeg(
      { bytes: Buffer.concat(chunks) },
      { name: 'stream.flac', container: 'flac' },
    );
    expect(decoded.samples.length / decoded.sampleRate).toBeCloseTo(3, 2);
    const whole = await encodeWithFfmpeg(tone(0.5), RATE, 'flac');
    const alone = await decodeWithFfmpeg({ bytes: whole }, { name: 'whole.flac', container: 'flac' });
    // FLAC is lossless: the first second is the tone given (to 16 bits).
    for (const index of [100, 5000, 15_999]) expect(decoded.samples[index]).toBeCloseTo(alone.samples[index]!, 4);
  });

  it("fails with the pieces' own error, and stops asking for pieces when the reader goes away", async () => {
    await expect(
      (async () => {
        for await (const _ of encodeStreamWithFfmpeg(pieces([tone(0.5), tone(0.5)], 1), RATE, 'mp3')) {
        }
      })(),
    ).rejects.toThrow('the voice broke down');
    let asked = 0;
    async function* endless(): AsyncGenerator<Float32Array> {
      for (;;) {
        asked += 1;
        yield tone(0.5);
      }
    }
    for await (const _ of encodeStreamWithFfmpeg(endless(), RATE, 'mp3')) break;
    const after = asked;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(asked).toBeLessThanOrEqual(after + 1);
  });
});
