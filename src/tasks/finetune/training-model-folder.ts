/**
 * The model folder fine-tuning works from: what inference pulls (config, tokenizer, processor, the
 * ONNX graphs the vision encoder runs on) plus the fp32 checkpoint training reads, which a plain
 * pull of an ONNX repo leaves out.
 */
import { type ResolveOptions, resolveModelFolder } from '../../models/hub/resolve-model-folder.ts';

export const CHECKPOINT_FILES = ['model.safetensors', 'model.safetensors.index.json', 'model-*-of-*.safetensors'];

export function resolveTrainingModelFolder(model: string, options: ResolveOptions = {}): Promise<string> {
  return resolveModelFolder(model, { ...options, include: [...(options.include ?? []), ...CHECKPOINT_FILES] });
}
