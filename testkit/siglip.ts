/**
 * `siglip`: the tiny CLIP's colour towers in SigLIP's layout, as Transformers.js loads
 * `Xenova/siglip-*`: `onnx/text_model.onnx` (SiglipTextModel) and `onnx/vision_model.onnx`
 * (SiglipVisionModel), each giving `pooler_output`; a `SiglipImageProcessor` that resizes straight
 * to 224×224 (bilinear, no crop) and normalises with mean = std = 0.5, which the vision tower undoes;
 * texts padded to 64 tokens, as SigLIP was trained. The tokenizer is the tiny CLIP's (SigLIP's own is
 * a SentencePiece model; the code that loads a SigLIP does not depend on which).
 */
import { CLIP_COLOURS, PROJECTION_DIM, textModel, tinyClipTokenizerFiles, visionModel } from './clip.ts';
import { jsonFile, type ModelFiles } from './model-files.ts';

const IMAGE_SIZE = 224;
const TEXT_LENGTH = 64;
const SIGLIP_NORMALISATION = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

export function siglipFiles(): ModelFiles {
  const tower = { hidden_size: PROJECTION_DIM, num_hidden_layers: 0, num_attention_heads: 1, intermediate_size: 0 };
  return {
    'config.json': jsonFile({
      architectures: ['SiglipModel'],
      model_type: 'siglip',
      text_config: { model_type: 'siglip_text_model', ...tower, max_position_embeddings: TEXT_LENGTH },
      vision_config: { model_type: 'siglip_vision_model', ...tower, image_size: IMAGE_SIZE, patch_size: IMAGE_SIZE },
    }),
    'preprocessor_config.json': jsonFile({
      processor_class: 'SiglipProcessor',
      image_processor_type: 'SiglipImageProcessor',
      do_resize: true,
      size: { height: IMAGE_SIZE, width: IMAGE_SIZE },
      resample: 2,
      do_rescale: true,
      rescale_factor: 1 / 255,
      do_normalize: true,
      image_mean: SIGLIP_NORMALISATION.mean,
      image_std: SIGLIP_NORMALISATION.std,
    }),
    ...tinyClipTokenizerFiles(TEXT_LENGTH),
    'onnx/text_model.onnx': textModel('pooler_output'),
    'onnx/vision_model.onnx': visionModel('pooler_output', SIGLIP_NORMALISATION),
    'README.md': [
      '# mmkit tiny siglip',
      '',
      'Built by `mmkit testkit build siglip`: the tiny CLIP colour space in SigLIP layout.',
      `Colour words: ${Object.keys(CLIP_COLOURS).join(', ')}. For tests only.`,
      '',
    ].join('\n'),
  };
}
