/**
 * `mmkit preprocess audio FILE... [--sample-rate 16000] [--top-db 20] [--no-trim] [--n-mels 80] [--fmax 8000]
 *  [--n-fft 2048] [--hop 512] [--max-frames 3000] [--pad-value silence|NUMBER] --out OUT.npy [--json]`
 */
import { type Command, InvalidArgumentError } from 'commander';
import { MmkitError } from '../../errors.ts';
import { writeNpy } from '../../media/npy.ts';
import { preprocessAudio, preprocessAudioDefaults } from '../../preprocess/audio/preprocess-audio.ts';
import { numberOption } from '../options.ts';
import { printJson, progressBar } from '../output.ts';

interface AudioCommandOptions {
  sampleRate: number;
  topDb: number;
  trim: boolean;
  nMels: number;
  fmax: number;
  nFft: number;
  hop: number;
  maxFrames: number;
  padValue: 'silence' | number;
  out?: string;
  json?: boolean;
}

function padValueOption(value: string): 'silence' | number {
  if (value === 'silence') return 'silence';
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) {
    throw new InvalidArgumentError(`--pad-value must be 'silence' or a number, got '${value}'`);
  }
  return parsed;
}

export function registerPreprocessAudio(preprocess: Command): void {
  const d = preprocessAudioDefaults;
  preprocess
    .command('audio')
    .description('Audio files → log-mel spectrograms in dB, float32 [N, n-mels, max-frames] in a .npy file.')
    .argument('[files...]', 'audio files (WAV, MP3, Ogg, Opus, FLAC, WebM, M4A)')
    .option(
      '--sample-rate <hz>',
      'resample to this rate',
      numberOption('--sample-rate', { integer: true, min: 1000, max: 384000 }),
      d.sampleRate,
    )
    .option(
      '--top-db <db>',
      'trim threshold below the loudest frame',
      numberOption('--top-db', { min: 0.001 }),
      d.topDb,
    )
    .option('--no-trim', 'keep leading and trailing silence')
    .option('--n-mels <n>', 'mel bands', numberOption('--n-mels', { integer: true, min: 1, max: 512 }), d.nMels)
    .option('--fmax <hz>', 'highest mel frequency', numberOption('--fmax', { min: 1 }), d.fmax)
    .option('--n-fft <n>', 'FFT size (even)', numberOption('--n-fft', { integer: true, min: 16, max: 65536 }), d.nFft)
    .option(
      '--hop <n>',
      'samples between frames',
      numberOption('--hop', { integer: true, min: 1, max: 65536 }),
      d.hopLength,
    )
    .option(
      '--max-frames <n>',
      'pad or cut the time axis to this many frames',
      numberOption('--max-frames', { integer: true, min: 1 }),
      d.maxFrames,
    )
    .option(
      '--pad-value <silence|dB>',
      "what fills frames past the end: 'silence' (the minimum) or a dB value",
      padValueOption,
      d.padValue,
    )
    .option('--out <file.npy>', 'where to write the float32 array')
    .option('--json', 'print one JSON document')
    .action(async (files: string[], options: AudioCommandOptions) => {
      if (files.length === 0) throw new MmkitError('no audio files given', { code: 'no_input', param: 'files' });
      if (!options.out) throw new MmkitError('--out OUT.npy is required', { code: 'missing_option', param: 'out' });
      const progress = progressBar('audio', files.length, { json: options.json });
      const batch = await preprocessAudio(files, {
        sampleRate: options.sampleRate,
        topDb: options.topDb,
        trim: options.trim,
        nMels: options.nMels,
        fmax: options.fmax,
        nFft: options.nFft,
        hopLength: options.hop,
        maxFrames: options.maxFrames,
        padValue: options.padValue,
        onProgress: (done, _total, name) => progress.update(done, name),
      }).finally(() => progress.finish());
      await writeNpy(options.out, { dtype: 'float32', shape: batch.shape, data: batch.data });
      if (options.json) {
        printJson({
          out: options.out,
          dtype: 'float32',
          shape: batch.shape,
          files: batch.items.map((item) => ({
            file: item.name,
            duration_seconds: Number(item.durationSeconds.toFixed(4)),
            frames: item.frames,
            kept_frames: Math.min(item.frames, options.maxFrames),
          })),
        });
        return;
      }
      for (const item of batch.items) {
        process.stdout.write(`${item.name}: ${item.durationSeconds.toFixed(2)} s, ${item.frames} frames\n`);
      }
      process.stdout.write(`wrote float32 [${batch.shape.join(', ')}] to ${options.out}\n`);
    });
}
