/**
 * What `prepare` needs from a vision-language model folder: its processor (image preprocessing,
 * image-token expansion, tokenizer), its chat template, the image and padding token ids from
 * `config.json`, and its vision encoder (`onnx/vision_encoder.onnx`: `pixel_values`, and for
 * Idefics3/SmolVLM `pixel_attention_mask` → image features already projected to the decoder's
 * width, as Transformers.js's exports have them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoProcessor, type Processor, type Tensor } from '@huggingface/transformers';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { describeError, MmkitError } from '../../errors.ts';
import { readChatTemplateFile } from '../../models/providers/onnx/chat-template.ts';
import { modelLoadFailed } from '../../models/providers/onnx/model-folder.ts';
import { installPillowResize } from '../../preprocess/image/transformers-resize.ts';

export interface PreparationModel {
  processor: Processor;
  chatTemplate: string | undefined;
  imageTokenId: number;
  padTokenId: number;
  /** The processor's image tensors for one image → its features, [image tokens, hidden]. */
  encodeImage(imageInputs: Record<string, Tensor>): Promise<{ data: Float32Array; shape: [number, number] }>;
  release(): Promise<void>;
}

function unsupported(folder: string, reason: string): MmkitError {
  return new MmkitError(`${folder}: ${reason}; fine-tuning needs a LLaVA-style vision-language model`, {
    code: 'unsupported_model',
    param: 'model',
    type: 'unsupported_error',
  });
}

export async function loadPreparationModel(folder: string): Promise<PreparationModel> {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw unsupported(folder, `no readable config.json (${describeError(error)})`);
  }
  const textConfig = (config.text_config ?? {}) as Record<string, unknown>;
  const imageTokenId = config.image_token_index ?? config.image_token_id;
  if (typeof imageTokenId !== 'number') throw unsupported(folder, 'config.json names no image token');
  const padTokenId = config.pad_token_id ?? textConfig.pad_token_id ?? config.eos_token_id ?? 0;
  const encoderPath = join(folder, 'onnx', 'vision_encoder.onnx');
  if (!existsSync(encoderPath)) throw unsupported(folder, 'there is no onnx/vision_encoder.onnx');
  installPillowResize();
  try {
    const [processor, session, templateFile] = await Promise.all([
      AutoProcessor.from_pretrained(folder, { local_files_only: true }),
      InferenceSession.create(encoderPath),
      readChatTemplateFile(folder),
    ]);
    if (!processor.tokenizer) throw new Error('the processor has no tokenizer');
    const chatTemplate =
      templateFile?.template ?? (processor as unknown as { chat_template?: string }).chat_template ?? undefined;
    return {
      processor,
      chatTemplate,
      imageTokenId,
      padTokenId: typeof padTokenId === 'number' ? padTokenId : 0,
      async encodeImage(imageInputs) {
        const feeds: Record<string, OrtTensor> = {};
        for (const name of session.inputNames) {
          const input = imageInputs[name];
          if (!input)
            throw unsupported(folder, `its vision encoder wants "${name}", which its processor does not make`);
          feeds[name] = new OrtTensor(input.type as 'float32', input.data as Float32Array, input.dims);
        }
        const output = (await session.run(feeds))[session.outputNames[0]];
        const hidden = output.dims.at(-1) ?? 0;
        const data = output.data as Float32Array;
        return { data, shape: [data.length / hidden, hidden] };
      },
      release: () => session.release(),
    };
  } catch (error) {
    if (error instanceof MmkitError) throw error;
    throw modelLoadFailed(folder, error);
  }
}
