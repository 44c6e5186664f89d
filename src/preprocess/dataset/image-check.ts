/**
 * Is this image usable for training? A header probe (format, size, pixel bound) and then a decode,
 * because a truncated JPEG or PNG has a perfectly good header: only decoding the pixel data finds
 * the missing end. The decode is shrunk on load (JPEG decodes at 1/8 scale), which still reads every
 * byte of the compressed stream but costs a fraction of a full-size decode.
 */
import { stat } from 'node:fs/promises';
import sharp from 'sharp';
import { describeError, isMmkitError } from '../../errors.ts';
import { probeImage } from '../image/probe.ts';

export type ImageProblem = 'image_missing' | 'image_unreadable' | 'image_unsupported' | 'image_too_large';

export type ImageVerdict = { ok: true } | { ok: false; reason: ImageProblem; detail: string };

const OK: ImageVerdict = { ok: true };

export async function checkImage(path: string, options: { maxPixels?: number } = {}): Promise<ImageVerdict> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return { ok: false, reason: 'image_missing', detail: 'no such file' };
  if (!info.isFile()) return { ok: false, reason: 'image_missing', detail: 'not a file' };
  if (info.size === 0) return { ok: false, reason: 'image_unreadable', detail: 'empty file' };
  try {
    await probeImage(path, { maxPixels: options.maxPixels });
  } catch (error) {
    if (!isMmkitError(error)) throw error;
    const reason = (['image_unsupported', 'image_too_large'] as const).find((code) => code === error.code);
    return { ok: false, reason: reason ?? 'image_unreadable', detail: error.message.replace(`${path}: `, '') };
  }
  try {
    await sharp(path, { failOn: 'truncated', limitInputPixels: false, sequentialRead: true })
      .resize(32, 32, { fit: 'inside' })
      .raw()
      .toBuffer();
  } catch (error) {
    return { ok: false, reason: 'image_unreadable', detail: `truncated or corrupt (${describeError(error)})` };
  }
  return OK;
}

/**
 * Verdicts per image path, so a dataset that pairs one image with many captions decodes it once.
 * Bounded: past `capacity` entries the oldest verdict is forgotten (and recomputed if asked again).
 */
export class ImageVerdictCache {
  private readonly verdicts = new Map<string, Promise<ImageVerdict>>();

  constructor(
    private readonly capacity = 10_000,
    private readonly check: (path: string) => Promise<ImageVerdict> = checkImage,
  ) {}

  get size(): number {
    return this.verdicts.size;
  }

  verdict(path: string): Promise<ImageVerdict> {
    let verdict = this.verdicts.get(path);
    if (verdict) return verdict;
    verdict = this.check(path);
    this.verdicts.set(path, verdict);
    if (this.verdicts.size > this.capacity) {
      const oldest = this.verdicts.keys().next().value;
      if (oldest !== undefined) this.verdicts.delete(oldest);
    }
    return verdict;
  }
}
