/**
 * The tiny-model factory: `buildTinyModel(architecture, directory)` writes a complete Hugging Face /
 * Transformers.js model folder with fixed, meaningful weights. Fast (milliseconds) and
 * deterministic: the same architecture always gives byte-identical files.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeError, MmkitError } from '../src/errors.ts';
import { bertFiles } from './bert.ts';
import { clipFiles } from './clip.ts';
import { llamaFiles } from './llama.ts';
import { llavaFiles } from './llava.ts';
import { llavaLlamaFiles } from './llava-llama.ts';
import { llmFiles } from './llm.ts';
import { type ModelFiles, writeModelFiles } from './model-files.ts';
import { sdFiles } from './sd.ts';
import { sdxlFiles } from './sdxl.ts';
import { siglipFiles } from './siglip.ts';
import { vitsFiles } from './vits.ts';
import { wav2vec2CtcFiles } from './wav2vec2-ctc.ts';
import { whisperFiles } from './whisper.ts';

const ARCHITECTURES: Record<string, { describe: string; files: () => ModelFiles }> = {
  bert: {
    describe: 'sentence-embedding encoder (sentence-transformers layout) whose space is topics ("car" ≈ "automobile")',
    files: bertFiles,
  },
  clip: {
    describe: 'CLIP text and vision towers whose embedding space is colour (red image ≈ "red")',
    files: clipFiles,
  },
  llava: {
    describe: 'vision-language model (LLaVA layout) that answers with the name of the dominant colour of the image',
    files: llavaFiles,
  },
  llama: {
    describe: 'Llama chat model with seeded weights, safetensors + ONNX (a base model for fine-tuning tests)',
    files: llamaFiles,
  },
  'llava-llama': {
    describe: 'vision-language model (LLaVA layout, colour-share vision features) around a seeded Llama, to fine-tune',
    files: llavaLlamaFiles,
  },
  llm: { describe: 'decoder-only chat model (Llama layout) that echoes the last user message', files: llmFiles },
  sd: {
    describe:
      'Stable Diffusion in Optimum ONNX layout whose image is the colour the prompt names ("a red apple" → red)',
    files: () => sdFiles(),
  },
  'sd-inpainting': {
    describe: 'the sd model with an inpainting-trained UNet (9 input channels: latents, mask, masked picture latents)',
    files: () => sdFiles({ inpainting: true }),
  },
  sdxl: {
    describe:
      'Stable Diffusion XL (two text encoders, pooled embeddings and size ids) whose image is the colour the prompt names',
    files: sdxlFiles,
  },
  siglip: {
    describe: 'the clip colour towers in SigLIP layout (pooler_output, SiglipImageProcessor, 64-token texts)',
    files: siglipFiles,
  },
  'wav2vec2-ctc': {
    describe: 'Wav2Vec2ForCTC that hears tones as characters (synthesizeCtcSpeech writes matching audio)',
    files: wav2vec2CtcFiles,
  },
  whisper: {
    describe: 'Whisper (encoder + merged decoder) that transcribes tone "speech" (one … six), en/zh, timestamps',
    files: whisperFiles,
  },
  vits: {
    describe: 'VITS text-to-speech that speaks each letter as a 0.1 s tone (a = 300 Hz … z = 2800 Hz)',
    files: vitsFiles,
  },
};

export function supportedTinyArchitectures(): string[] {
  return Object.keys(ARCHITECTURES);
}

export function describeTinyArchitecture(architecture: string): string {
  return lookup(architecture).describe;
}

/** The model's files in memory, keyed by relative path. */
export function tinyModelFiles(architecture: string): ModelFiles {
  return lookup(architecture).files();
}

export interface TinyModelBuild {
  architecture: string;
  directory: string;
  files: string[];
}

export async function buildTinyModel(architecture: string, directory: string): Promise<TinyModelBuild> {
  // Everything is generated in memory first: a bad architecture or a generator bug writes nothing.
  const files = tinyModelFiles(architecture);
  const target = resolve(directory);
  const existing = await stat(target).catch(() => undefined);
  if (existing && !existing.isDirectory()) {
    throw new MmkitError(`cannot build into ${directory}: it exists and is not a directory`, {
      code: 'output_not_directory',
      param: 'DIR',
    });
  }
  try {
    const written = await writeModelFiles(target, files);
    return { architecture, directory: target, files: written };
  } catch (error) {
    throw new MmkitError(`cannot write the ${architecture} model into ${directory}: ${describeError(error)}`, {
      code: 'output_unwritable',
      param: 'DIR',
      cause: error,
    });
  }
}

function lookup(architecture: string) {
  const entry = Object.hasOwn(ARCHITECTURES, architecture) ? ARCHITECTURES[architecture] : undefined;
  if (!entry) {
    throw new MmkitError(
      `unknown testkit architecture "${architecture}"; supported: ${supportedTinyArchitectures().join(', ')}`,
      { code: 'unsupported_architecture', param: 'ARCH', type: 'unsupported_error' },
    );
  }
  return entry;
}
