import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CLIP_IMAGE_MEAN,
  clipImageConfig,
  loadImageProcessorConfig,
  parseImageProcessorConfig,
  withOutputSize,
} from './config.ts';

describe('preprocessor_config.json', () => {
  it("reads CLIP's config to the CLIP defaults", () => {
    const config = parseImageProcessorConfig({
      crop_size: { height: 224, width: 224 },
      do_center_crop: true,
      do_convert_rgb: true,
      do_normalize: true,
      do_rescale: true,
      do_resize: true,
      image_mean: [...CLIP_IMAGE_MEAN],
      image_processor_type: 'CLIPImageProcessor',
      image_std: [0.26862954, 0.26130258, 0.27577711],
      resample: 3,
      rescale_factor: 0.00392156862745098,
      size: { shortest_edge: 224 },
    });
    expect(config).toEqual({ ...clipImageConfig(), rescaleFactor: 0.00392156862745098 });
  });

  it("reads SigLIP's: straight to 224×224, bilinear, no crop, mean/std 0.5", () => {
    const config = parseImageProcessorConfig({
      do_normalize: true,
      do_rescale: true,
      do_resize: true,
      image_mean: [0.5, 0.5, 0.5],
      image_std: [0.5, 0.5, 0.5],
      processor_class: 'SiglipProcessor',
      resample: 2,
      rescale_factor: 0.00392156862745098,
      size: { height: 224, width: 224 },
    });
    expect(config.resize).toEqual({ height: 224, width: 224 });
    expect(config.resample).toBe('bilinear');
    expect(config.crop).toBeUndefined();
    expect(config.normalize).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  });

  it('honours the do_* switches and old integer sizes', () => {
    const config = parseImageProcessorConfig({ size: 256, crop_size: 240, do_rescale: false, do_normalize: false });
    expect(config).toEqual({ resize: { shortestEdge: 256 }, resample: 'bicubic', crop: { height: 240, width: 240 } });
    expect(parseImageProcessorConfig({ do_resize: false, do_center_crop: false }).resize).toBeUndefined();
  });

  it('--size overrides every size', () => {
    expect(withOutputSize(clipImageConfig(), 336).crop).toEqual({ height: 336, width: 336 });
    const siglip = parseImageProcessorConfig({ size: { height: 224, width: 224 } });
    expect(withOutputSize(siglip, 384).resize).toEqual({ height: 384, width: 384 });
  });

  it.each([
    [{ resample: 7 }, /resample: must be a PIL filter code/],
    [{ size: { longest_edge: 224 } }, /size: /],
    [{ image_std: [0.5, 0, 0.5] }, /image_std: must not contain 0/],
    [{ image_mean: [0.5, 0.5] }, /image_mean: /],
    [[1, 2], /\(top level\)/],
  ])('refuses %j with one line naming the field', (value, message) => {
    expect(() => parseImageProcessorConfig(value, 'p.json')).toThrow(message);
    expect(() => parseImageProcessorConfig(value, 'p.json')).toThrow(/^p\.json: invalid preprocessor config: [^\n]+$/);
  });

  it('names the file when it is missing or not JSON', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'mmkit-config-'));
    await expect(loadImageProcessorConfig(join(directory, 'missing.json'))).rejects.toThrow(
      /missing\.json: cannot read preprocessor config/,
    );
    await writeFile(join(directory, 'broken.json'), '{"size": ');
    await expect(loadImageProcessorConfig(join(directory, 'broken.json'))).rejects.toThrow(
      /broken\.json: .*not valid JSON/,
    );
  });
});
