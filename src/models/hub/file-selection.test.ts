import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMmkitError } from '../../errors.ts';
import { type ListedFile, onnxGraphs, parseDtypeChoice, selectModelFiles } from './file-selection.ts';
import { globToRegExp } from './glob.ts';

const fixture = (name: string): ListedFile[] =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));

const whisper = fixture('xenova-whisper-tiny');
const smolvlm = fixture('smolvlm-256m-instruct');
const sdTurbo = fixture('onnxruntime-sd-turbo');
const external = fixture('tiny-random-whisper-external');
const sentenceTransformers = fixture('sentence-transformers-all-minilm-l6-v2');

const onnxOf = (paths: string[]) => paths.filter((path) => path.includes('.onnx'));

function failure(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (isMmkitError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected an MmkitError');
}

describe('selectModelFiles', () => {
  it('takes the small files and only the merged decoder of a whisper export, fp32 by default', () => {
    const selected = selectModelFiles('Xenova/whisper-tiny', whisper);
    expect(onnxOf(selected)).toEqual(['onnx/decoder_model_merged.onnx', 'onnx/encoder_model.onnx']);
    expect(selected).toEqual(
      expect.arrayContaining([
        'config.json',
        'tokenizer.json',
        'preprocessor_config.json',
        'merges.txt',
        'normalizer.json',
      ]),
    );
    expect(selected).not.toContain('.gitattributes');
    expect(selected).not.toContain('README.md');
  });

  it('maps q8 to the _quantized files and fp16 to _fp16', () => {
    expect(onnxOf(selectModelFiles('Xenova/whisper-tiny', whisper, { dtype: 'q8' }))).toEqual([
      'onnx/decoder_model_merged_quantized.onnx',
      'onnx/encoder_model_quantized.onnx',
    ]);
    expect(onnxOf(selectModelFiles('Xenova/whisper-tiny', whisper, { dtype: 'fp16' }))).toEqual([
      'onnx/decoder_model_merged_fp16.onnx',
      'onnx/encoder_model_fp16.onnx',
    ]);
  });

  it('names the graph and the dtypes that exist when a dtype is missing', () => {
    const { code, message } = failure(() => selectModelFiles('Xenova/whisper-tiny', whisper, { dtype: 'q4' }));
    expect(code).toBe('model_dtype_unavailable');
    expect(message).toContain('no q4 version of onnx/decoder_model_merged.onnx');
    expect(message).toContain('fp32, fp16, q8');
  });

  it('tells _q4f16 from _q4 and skips PyTorch weights in a VLM repo', () => {
    const q4f16 = selectModelFiles('HuggingFaceTB/SmolVLM-256M-Instruct', smolvlm, { dtype: 'q4f16' });
    expect(onnxOf(q4f16)).toEqual([
      'onnx/decoder_model_merged_q4f16.onnx',
      'onnx/embed_tokens_q4f16.onnx',
      'onnx/vision_encoder_q4f16.onnx',
    ]);
    expect(q4f16).toContain('chat_template.json');
    expect(q4f16).toContain('processor_config.json');
    expect(q4f16).not.toContain('model.safetensors');
  });

  it('accepts a dtype per graph, falling back to fp32 for the others', () => {
    const dtype = parseDtypeChoice('decoder_model_merged=q4,vision_encoder=fp16');
    expect(onnxOf(selectModelFiles('HuggingFaceTB/SmolVLM-256M-Instruct', smolvlm, { dtype }))).toEqual([
      'onnx/decoder_model_merged_q4.onnx',
      'onnx/embed_tokens.onnx',
      'onnx/vision_encoder_fp16.onnx',
    ]);
  });

  it('uses the dtype config.json names under transformers.js_config when none is given', () => {
    const config = { 'transformers.js_config': { dtype: { embed_tokens: 'int8', decoder_model_merged: 'q4' } } };
    expect(onnxOf(selectModelFiles('HuggingFaceTB/SmolVLM-256M-Instruct', smolvlm, {}, config))).toEqual([
      'onnx/decoder_model_merged_q4.onnx',
      'onnx/embed_tokens_int8.onnx',
      'onnx/vision_encoder.onnx',
    ]);
  });

  it('brings every external data chunk of the chosen variant only', () => {
    expect(onnxOf(selectModelFiles('t/external', external, { dtype: 'q4' }))).toEqual([
      'onnx/decoder_model_merged_q4.onnx',
      'onnx/decoder_model_merged_q4.onnx_data',
      'onnx/decoder_model_merged_q4.onnx_data_1',
      'onnx/encoder_model_q4.onnx',
    ]);
  });

  it('brings external data named as torch.onnx and ONNX Runtime name it (model.onnx.data)', () => {
    // onnxruntime/sdxl-turbo keeps the large graphs' weights this way.
    const files: ListedFile[] = [
      'model_index.json',
      'text_encoder_2/model.onnx',
      'text_encoder_2/model.onnx.data',
      'unet/model.onnx',
      'unet/model.onnx.data',
      'vae_encoder/model.onnx',
      'vae_encoder/model.onnx.data',
    ].map((path) => ({ path, size: 1 }));
    expect(selectModelFiles('onnxruntime/sdxl-turbo', files).filter((path) => path !== 'model_index.json')).toEqual([
      'text_encoder_2/model.onnx',
      'text_encoder_2/model.onnx.data',
      'unet/model.onnx',
      'unet/model.onnx.data',
      'vae_encoder/model.onnx',
      'vae_encoder/model.onnx.data',
    ]);
  });

  it('rejects an export whose config declares more data chunks than the repo has', () => {
    const config = { 'transformers.js_config': { use_external_data_format: { 'encoder_model.onnx': 1 } } };
    const { code, message } = failure(() => selectModelFiles('t/external', external, {}, config));
    expect(code).toBe('model_incomplete');
    expect(message).toContain('onnx/encoder_model.onnx');
  });

  it('takes the diffusion parts text to image and image to image run (the VAE encoder too)', () => {
    const selected = selectModelFiles('onnxruntime/sd-turbo', sdTurbo);
    expect(onnxOf(selected)).toEqual([
      'text_encoder/model.onnx',
      'unet/model.onnx',
      'vae_decoder/model.onnx',
      'vae_encoder/model.onnx',
    ]);
    expect(selected).toEqual(
      expect.arrayContaining([
        'model_index.json',
        'scheduler/scheduler_config.json',
        'tokenizer/vocab.json',
        'tokenizer/merges.txt',
      ]),
    );
    const withoutEncoder = selectModelFiles('onnxruntime/sd-turbo', sdTurbo, { exclude: ['vae_encoder/*'] });
    expect(withoutEncoder).not.toContain('vae_encoder/model.onnx');
  });

  it("takes an older Optimum export's weights.pb beside its graph (Stable Diffusion 1.5)", () => {
    const files: ListedFile[] = [
      'model_index.json',
      'scheduler/scheduler_config.json',
      'text_encoder/model.onnx',
      'unet/model.onnx',
      'unet/weights.pb',
      'vae_decoder/model.onnx',
      'vae_encoder/model.onnx',
    ].map((path) => ({ path, size: 10 }));
    const selected = selectModelFiles('onnx-community/stable-diffusion-v1-5-ONNX', files);
    expect(selected).toContain('unet/weights.pb');
    expect(selected).toContain('vae_encoder/model.onnx');
  });

  it("takes a sentence-transformers repo's model.onnx and pooling config, not its optimised and per-CPU copies", () => {
    const selected = selectModelFiles('sentence-transformers/all-MiniLM-L6-v2', sentenceTransformers);
    expect(onnxOf(selected)).toEqual(['onnx/model.onnx']);
    expect(selected).toEqual(
      expect.arrayContaining(['1_Pooling/config.json', 'modules.json', 'sentence_bert_config.json', 'tokenizer.json']),
    );
    expect(selected.filter((path) => path.startsWith('openvino/') || /\.(bin|h5|ot|safetensors)$/.test(path))).toEqual(
      [],
    );
    const avx2 = selectModelFiles('sentence-transformers/all-MiniLM-L6-v2', sentenceTransformers, {
      include: ['onnx/model_quint8_avx2.onnx'],
    });
    expect(onnxOf(avx2)).toEqual(['onnx/model.onnx', 'onnx/model_quint8_avx2.onnx']);
  });

  it('applies include and exclude globs', () => {
    const selected = selectModelFiles('Xenova/whisper-tiny', whisper, {
      include: ['onnx/*_quantized.onnx', 'README.md'],
      exclude: ['**/normalizer.json'],
    });
    expect(selected).toContain('onnx/decoder_with_past_model_quantized.onnx');
    expect(selected).toContain('README.md');
    expect(selected).not.toContain('normalizer.json');
  });

  it('says a repo without ONNX weights cannot run', () => {
    const pytorchOnly = smolvlm.filter((file) => !file.path.endsWith('.onnx'));
    expect(failure(() => selectModelFiles('HuggingFaceTB/SmolVLM-256M-Instruct', pytorchOnly)).code).toBe(
      'model_no_onnx',
    );
    expect(selectModelFiles('x/tokenizer', pytorchOnly, { requireWeights: false })).toContain('tokenizer.json');
  });
});

describe('onnxGraphs and dtype parsing', () => {
  it('groups variants by graph', () => {
    const graphs = onnxGraphs(smolvlm.map((file) => file.path));
    expect(graphs.map((graph) => graph.key)).toEqual([
      'onnx/decoder_model_merged',
      'onnx/embed_tokens',
      'onnx/vision_encoder',
    ]);
    expect([...graphs[0]!.variants.keys()].sort()).toEqual([
      'bnb4',
      'fp16',
      'fp32',
      'int8',
      'q4',
      'q4f16',
      'q8',
      'uint8',
    ]);
  });

  it('rejects an unknown dtype in one line', () => {
    const { code, message } = failure(() => parseDtypeChoice('q3'));
    expect(code).toBe('dtype_invalid');
    expect(message).toContain("got 'q3'");
  });

  it('matches globs like a shell does over repo paths', () => {
    expect(globToRegExp('onnx/*.onnx').test('onnx/model.onnx')).toBe(true);
    expect(globToRegExp('onnx/*.onnx').test('onnx/sub/model.onnx')).toBe(false);
    expect(globToRegExp('**/*.json').test('config.json')).toBe(true);
    expect(globToRegExp('**/*.json').test('a/b/config.json')).toBe(true);
  });
});
