import type { Command } from 'commander';
import { registerPreprocessAudio } from './preprocess-audio.ts';
import { registerPreprocessImage } from './preprocess-image.ts';
import { registerPreprocessText } from './preprocess-text.ts';

export function registerPreprocessCommands(program: Command): void {
  const preprocess = program.command('preprocess').description('Turn text, images and audio into model input tensors.');
  registerPreprocessText(preprocess);
  registerPreprocessImage(preprocess);
  registerPreprocessAudio(preprocess);
}
