/** `mmkit preprocess image FILE... --out OUT.npy`: images → float32 [N, 3, S, S] in a .npy file. */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { describeError, MmkitError } from '../../errors.ts';
import { writeNpy } from '../../media/npy.ts';
import { clipImageConfig, loadImageProcessorConfig, withOutputSize } from '../../preprocess/image/config.ts';
import { preprocessImages } from '../../preprocess/image/preprocess.ts';
import { numberOption } from '../options.ts';
import { printJson, progressBar } from '../output.ts';

interface ImageCommandOptions {
  size?: number;
  processor?: string;
  out: string;
  json?: boolean;
}

/** `MMKIT_IMAGE_THREADS=N` forces N worker threads (0: none); by default big batches get a pool. */
function threadsFromEnvironment(): number | 'auto' {
  const value = process.env.MMKIT_IMAGE_THREADS;
  if (value === undefined || value === '') return 'auto';
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 0 || threads > 64) {
    throw new MmkitError(`MMKIT_IMAGE_THREADS must be an integer from 0 to 64, got '${value}'`, {
      code: 'invalid_environment',
      param: 'MMKIT_IMAGE_THREADS',
    });
  }
  return threads;
}

/** `--processor` takes the JSON file or the model folder that holds `preprocessor_config.json`. */
async function processorPath(path: string): Promise<string> {
  const isDirectory = await stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
  return isDirectory ? join(path, 'preprocessor_config.json') : path;
}

export function registerPreprocessImage(preprocess: Command): void {
  preprocess
    .command('image')
    .description('Decode, resize, centre-crop and normalise images as CLIP (or a given processor) expects.')
    .argument('<files...>', 'JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC or BMP images')
    .option(
      '--size <pixels>',
      'output size S (default 224, or the processor’s)',
      numberOption('--size', { integer: true, min: 1, max: 4096 }),
    )
    .option('--processor <file>', 'a Hugging Face preprocessor_config.json (or the folder holding it)')
    .requiredOption('--out <file.npy>', 'where to write the float32 [N, 3, S, S] array')
    .option('--json', 'print {shape, files, out} as JSON')
    .action(async (files: string[], options: ImageCommandOptions) => {
      let config = options.processor
        ? await loadImageProcessorConfig(await processorPath(options.processor))
        : clipImageConfig(options.size ?? 224);
      if (options.processor && options.size !== undefined) config = withOutputSize(config, options.size);
      const progress = progressBar('images', files.length, { json: options.json });
      const batch = await preprocessImages(files, {
        config,
        threads: threadsFromEnvironment(),
        onProgress: (done) => progress.update(done),
      }).finally(() => progress.finish());
      const out = resolve(options.out);
      try {
        await writeNpy(out, { dtype: 'float32', shape: batch.shape, data: batch.data });
      } catch (error) {
        throw new MmkitError(`${options.out}: cannot write the output (${describeError(error)})`, {
          code: 'output_unwritable',
          param: options.out,
          cause: error,
        });
      }
      if (options.json) printJson({ shape: batch.shape, files, out: options.out });
      else process.stdout.write(`wrote ${options.out}: float32 [${batch.shape.join(', ')}]\n`);
    });
}
