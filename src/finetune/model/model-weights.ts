/**
 * A real checkpoint's decoder weights as a `WeightSource`: `model.safetensors`, or the shards a
 * `model.safetensors.index.json` lists, read one tensor at a time and widened to float32.
 *
 * The graphs ask for canonical names (`model.layers.0.self_attn.q_proj.weight`,
 * `model.embed_tokens.weight`, `model.norm.weight`, `lm_head.weight`); checkpoints keep the
 * decoder under other prefixes: `model.` (LlamaForCausalLM), `language_model.model.` (LLaVA before
 * transformers 4.52), `model.language_model.` (after), `model.text_model.` (Idefics3 / SmolVLM).
 * The prefix is found from the first layer's query projection; the same prefix names the modules
 * in PEFT adapters for that model (`base_model.model.<prefix>layers.0.self_attn.q_proj.lora_A.weight`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError, MmkitError } from '../../errors.ts';
import { SafetensorsFile } from '../../media/safetensors.ts';
import type { DecoderConfig } from './decoder-config.ts';
import { checkpointModuleName } from './graph-context.ts';
import type { WeightSource } from './weight-source.ts';

export interface ModelWeights {
  /** Canonical name → float32 values; checks the shape against the one asked for. */
  source: WeightSource;
  /** Where the decoder lives in the checkpoint, e.g. `model.` or `model.text_model.`. */
  modulePrefix: string;
  /** The checkpoint's (and PEFT's) name of a canonical module or tensor name. */
  moduleName(canonical: string): string;
  close(): void;
}

const FIRST_QUERY = /^(.*)layers\.0\.self_attn\.q_proj\.weight$/;
const SINGLE_FILE = 'model.safetensors';
const INDEX_FILE = 'model.safetensors.index.json';

function weightError(message: string, param: string, code = 'weights_invalid'): MmkitError {
  return new MmkitError(message, { code, param });
}

/** Tensor name → shard file name, from the index (or every tensor of the single file). */
function readIndex(directory: string): Map<string, string> | undefined {
  const indexPath = join(directory, INDEX_FILE);
  if (!existsSync(indexPath)) return undefined;
  let weightMap: unknown;
  try {
    weightMap = (JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map?: unknown }).weight_map;
  } catch (error) {
    throw weightError(`${indexPath}: cannot read (${describeError(error)})`, indexPath);
  }
  if (weightMap === null || typeof weightMap !== 'object') {
    throw weightError(`${indexPath}: no "weight_map" object`, indexPath);
  }
  const entries = Object.entries(weightMap as Record<string, unknown>);
  const unsafe = entries.find(([, file]) => typeof file !== 'string' || file.includes('/') || file.includes('\\'));
  if (unsafe) throw weightError(`${indexPath}: "${unsafe[0]}" points at ${JSON.stringify(unsafe[1])}`, indexPath);
  return new Map(entries as [string, string][]);
}

/**
 * The decoder's prefix among all tensor names. A vision tower has `…layers.0.self_attn.q_proj`
 * too, so only prefixes with the decoder's gated MLP count; the one with `embed_tokens` wins.
 */
export function detectModulePrefix(names: Iterable<string>, where: string): string {
  const all = new Set(names);
  const candidates = [...all]
    .map((name) => FIRST_QUERY.exec(name)?.[1])
    .filter((prefix): prefix is string => prefix !== undefined && all.has(`${prefix}layers.0.mlp.gate_proj.weight`));
  const withEmbeddings = candidates.filter((prefix) => all.has(`${prefix}embed_tokens.weight`));
  const chosen = withEmbeddings.length > 0 ? withEmbeddings : candidates;
  if (chosen.length === 1) return chosen[0];
  if (chosen.length === 0) {
    throw weightError(
      `${where}: no Llama/Qwen2 decoder found (no tensor named …layers.0.self_attn.q_proj.weight beside …layers.0.mlp.gate_proj.weight)`,
      where,
      'weights_no_decoder',
    );
  }
  throw weightError(`${where}: several decoders (${chosen.join(', ')}); cannot tell which to train`, where);
}

/** Where the checkpoint keeps `lm_head.weight`: beside the decoder's wrapper, else at the top. */
function lmHeadCandidates(prefix: string): string[] {
  // `language_model.model.` → `language_model.lm_head.weight`; `model.language_model.` has no such sibling.
  const wrapper = prefix === 'model.' || prefix.endsWith('.model.') ? prefix.slice(0, -'model.'.length) : undefined;
  return [...new Set([...(wrapper !== undefined ? [`${wrapper}lm_head.weight`] : []), 'lm_head.weight'])];
}

export function openModelWeights(directory: string, config: DecoderConfig): ModelWeights {
  const index = readIndex(directory);
  const singlePath = join(directory, SINGLE_FILE);
  if (!index && !existsSync(singlePath)) {
    throw weightError(
      `${directory} has no ${SINGLE_FILE} or ${INDEX_FILE}: fine-tuning reads the safetensors weights`,
      directory,
      'weights_missing',
    );
  }
  const files = new Map<string, SafetensorsFile>();
  const open = (fileName: string): SafetensorsFile => {
    let file = files.get(fileName);
    if (!file) {
      file = SafetensorsFile.open(join(directory, fileName));
      files.set(fileName, file);
    }
    return file;
  };
  const close = () => {
    for (const file of files.values()) file.close();
    files.clear();
  };
  try {
    const location = index ?? new Map([...open(SINGLE_FILE).entries.keys()].map((name) => [name, SINGLE_FILE]));
    const where = index ? join(directory, INDEX_FILE) : singlePath;
    const modulePrefix = detectModulePrefix(location.keys(), where);
    const lmHead = config.tieWordEmbeddings
      ? undefined
      : lmHeadCandidates(modulePrefix).find((name) => location.has(name));

    const checkpointName = (canonical: string): string => {
      if (canonical === 'lm_head.weight') {
        if (config.tieWordEmbeddings) return checkpointModuleName('model.embed_tokens.weight', modulePrefix);
        if (lmHead) return lmHead;
        throw weightError(
          `${where}: no tensor named ${lmHeadCandidates(modulePrefix).join(' or ')} (config.json says tie_word_embeddings is false)`,
          'lm_head.weight',
          'tensor_missing',
        );
      }
      return checkpointModuleName(canonical, modulePrefix);
    };

    const source: WeightSource = (canonical, dims) => {
      const name = checkpointName(canonical);
      const fileName = location.get(name);
      if (!fileName) {
        throw weightError(`${where}: no tensor named "${name}" (needed for ${canonical})`, name, 'tensor_missing');
      }
      const file = open(fileName);
      const shape = file.entries.get(name)?.shape;
      if (!shape) throw weightError(`${file.path}: no tensor named "${name}"`, name, 'tensor_missing');
      if (shape.length !== dims.length || shape.some((dim, axis) => dim !== dims[axis])) {
        throw weightError(
          `${file.path}: "${name}" has shape [${shape.join(', ')}], the config needs [${dims.join(', ')}]`,
          name,
          'tensor_shape',
        );
      }
      return file.float32(name);
    };
    return {
      source,
      modulePrefix,
      moduleName: (canonical) => checkpointModuleName(canonical, modulePrefix),
      close,
    };
  } catch (error) {
    close();
    throw error;
  }
}
