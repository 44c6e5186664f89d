/**
 * What a downloaded model folder can do, read from its own files: `model_index.json` is a
 * diffusion pipeline; otherwise `config.json`'s `model_type` (and whether it has a vision tower)
 * says which capability's provider would load it. Used to label cached models that no capability
 * names as its default.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Capability } from './config.ts';

const BY_MODEL_TYPE: Record<string, Capability[]> = {
  whisper: ['transcription'],
  vits: ['speech'],
  wav2vec2: ['ctc'],
  hubert: ['ctc'],
  clip: ['embeddings'],
  siglip: ['embeddings'],
  bert: ['embeddings'],
  xlm_roberta: ['embeddings'],
  nomic_bert: ['embeddings'],
};

/** Decoder-only families the chat provider runs (Transformers.js's causal LMs we have seen). */
const CHAT_MODEL_TYPES = new Set([
  'llama',
  'qwen2',
  'qwen3',
  'mistral',
  'phi',
  'phi3',
  'gemma',
  'gemma2',
  'gemma3_text',
  'gpt2',
  'smollm3',
  'granite',
  'olmo',
  'stablelm',
]);

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function capabilitiesOfFolder(folder: string): Promise<Capability[]> {
  if (await readJson(join(folder, 'model_index.json'))) return ['imageGeneration'];
  const config = await readJson(join(folder, 'config.json'));
  if (!config) return [];
  const modelType = typeof config.model_type === 'string' ? config.model_type : '';
  if (
    config.vision_config !== undefined &&
    config.text_config !== undefined &&
    modelType !== 'clip' &&
    modelType !== 'siglip'
  ) {
    return ['visionChat'];
  }
  if (BY_MODEL_TYPE[modelType]) return BY_MODEL_TYPE[modelType];
  if (CHAT_MODEL_TYPES.has(modelType)) return ['chat'];
  return [];
}
