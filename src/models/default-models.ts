/**
 * The model each capability uses when neither `--model` nor the config file names one. Small
 * Transformers.js-compatible ONNX repos on the Hugging Face Hub, chosen with the seed's Chinese
 * examples in mind; each entry records the files it was checked against (Hub listings).
 */
import type { Capability, ModelEntryInput } from './config.ts';

export const DEFAULT_MODELS: Readonly<Record<Capability, ModelEntryInput>> = {
  // Qwen2.5 0.5B Instruct (Apache-2.0), strong in Chinese; onnx/model_quantized.onnx is 512 MB.
  chat: { id: 'onnx-community/Qwen2.5-0.5B-Instruct', dtype: 'q8' },
  // SmolVLM 256M (Apache-2.0, idefics3): ~180 MB with these dtypes, answers in English. For Chinese
  // questions configure onnx-community/Qwen2-VL-2B-Instruct (qwen2_vl, ~1.5 GB) instead.
  visionChat: {
    id: 'HuggingFaceTB/SmolVLM-256M-Instruct',
    dtype: { vision_encoder: 'q4', embed_tokens: 'q8', decoder_model_merged: 'q4' },
  },
  // Whisper small, as in the seed (zh transcription); encoder 92 MB + merged decoder 157 MB at q8.
  transcription: { id: 'Xenova/whisper-small', dtype: 'q8' },
  // Mandarin speech with no download (espeak-ng WASM voice `cmn`).
  speech: 'espeak:cmn',
  // SD-Turbo, the ONNX Runtime team's export (EulerDiscreteScheduler, 1–4 steps).
  imageGeneration: 'onnxruntime/sd-turbo',
  // CLIP ViT-B/32: text_model_quantized 64.5 MB + vision_model_quantized 89.1 MB.
  embeddings: { id: 'Xenova/clip-vit-base-patch32', dtype: 'q8' },
  // The seed's alignment model (English letters); model_quantized.onnx 95 MB.
  ctc: { id: 'Xenova/wav2vec2-base-960h', dtype: 'q8' },
  // tesseract.js, English and simplified Chinese, offline (in this order: chi_sim first makes tesseract print noise).
  ocr: 'tesseract:eng+chi_sim',
};
