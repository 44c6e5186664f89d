import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AutomaticSpeechRecognitionPipeline,
  AutoProcessor,
  AutoTokenizer,
  env,
  type Processor,
  pipeline,
  type Tensor as TransformersTensor,
  WhisperForConditionalGeneration,
} from '@huggingface/transformers';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModelFiles } from './model-files.ts';
import { whisperFiles } from './whisper.ts';
import { synthesizeWhisperSpeech, whisperSpeechSegments } from './whisper-speech.ts';
import { WHISPER_TOKENS, type WhisperWord } from './whisper-vocabulary.ts';

const { startOfTranscript, languages, transcribe, noTimestamps, endOfText, words } = WHISPER_TOKENS;

describe('testkit whisper (tone transcriber)', () => {
  let directory: string;
  let transcriber: AutomaticSpeechRecognitionPipeline;
  let processor: Processor;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-whisper-'));
    await writeModelFiles(directory, whisperFiles());
    env.allowRemoteModels = false;
    transcriber = (await pipeline('automatic-speech-recognition', directory, {
      local_files_only: true,
    })) as AutomaticSpeechRecognitionPipeline;
    processor = await AutoProcessor.from_pretrained(directory, { local_files_only: true });
  });

  afterAll(async () => {
    await transcriber?.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  async function transcribeText(audio: Float32Array, options: Record<string, unknown>): Promise<string> {
    return ((await transcriber(audio, options)) as { text: string }).text;
  }

  it('transcribes the words in order through the automatic-speech-recognition pipeline', async () => {
    const audio = synthesizeWhisperSpeech(['one', 'two', 'three']);
    expect(await transcribeText(audio, { language: 'en', task: 'transcribe' })).toBe(' one two three');
    const reversed = synthesizeWhisperSpeech(['six', 'five', 'four', 'three', 'two', 'one']);
    expect(await transcribeText(reversed, { language: 'english' })).toBe(' six five four three two one');
  });

  it('writes Chinese when transcribing zh through the pipeline', async () => {
    const audio = synthesizeWhisperSpeech(['four', 'two', 'six']);
    expect(await transcribeText(audio, { language: 'zh', task: 'transcribe' })).toBe('四二六');
  });

  it('hears repeated words, words without gaps, and silence', async () => {
    expect(await transcribeText(synthesizeWhisperSpeech(['five', 'five']), { language: 'en' })).toBe(' five five');
    const joined = synthesizeWhisperSpeech(['one', 'three', 'two'], { gapSeconds: 0, wordSeconds: 0.3 });
    expect(await transcribeText(joined, { language: 'en' })).toBe(' one three two');
    expect(await transcribeText(new Float32Array(16000 * 3), { language: 'en' })).toBe('');
  });

  it('returns segment timestamps within 0.04 s of the tones', async () => {
    const spoken: WhisperWord[] = ['two', 'one', 'three'];
    const options = { leadSeconds: 1.3, wordSeconds: 0.8, gapSeconds: 2.1 };
    const result = (await transcriber(synthesizeWhisperSpeech(spoken, options), {
      language: 'en',
      return_timestamps: true,
    })) as { text: string; chunks: { text: string; timestamp: [number, number] }[] };
    expect(result.text).toBe(' two one three');
    const expected = whisperSpeechSegments(spoken, options);
    expect(result.chunks.map((chunk) => chunk.text)).toEqual([' two', ' one', ' three']);
    result.chunks.forEach((chunk, index) => {
      expect(Math.abs(chunk.timestamp[0] - expected[index].start)).toBeLessThanOrEqual(0.04);
      expect(Math.abs(chunk.timestamp[1] - expected[index].end)).toBeLessThanOrEqual(0.04);
    });
  });

  it('generates the Whisper prompt and word tokens through processor + generate, per language and task', async () => {
    const model = await WhisperForConditionalGeneration.from_pretrained(directory, { local_files_only: true });
    try {
      const { input_features } = await processor(synthesizeWhisperSpeech(['one', 'two']));
      expect(input_features.dims).toEqual([1, 80, 3000]);
      const generate = async (options: Record<string, unknown>) => {
        const output = (await model.generate({ inputs: input_features, ...options })) as TransformersTensor;
        return (output.tolist() as bigint[][])[0].map(Number);
      };
      const english = [words[0].english, words[1].english, endOfText];
      const chinese = [words[0].chinese, words[1].chinese, endOfText];
      const prompt = (language: string, task = transcribe) => [
        startOfTranscript,
        languages[language],
        task,
        noTimestamps,
      ];
      expect(await generate({ language: 'en', task: 'transcribe' })).toEqual([...prompt('<|en|>'), ...english]);
      expect(await generate({ language: 'chinese' })).toEqual([...prompt('<|zh|>'), ...chinese]);
      // Translating Chinese speech, or transcribing any other language, gives English words.
      expect(await generate({ language: 'zh', task: 'translate' })).toEqual([
        ...prompt('<|zh|>', WHISPER_TOKENS.translate),
        ...english,
      ]);
      expect(await generate({ language: 'fr' })).toEqual([...prompt('<|fr|>'), ...english]);
    } finally {
      await model.dispose();
    }
  });

  it('has a tokenizer with single-token words and Whisper special tokens', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(directory, { local_files_only: true });
    expect(tokenizer.encode(' one two', { add_special_tokens: false })).toEqual([words[0].english, words[1].english]);
    expect(tokenizer.decode([words[2].chinese, words[3].chinese])).toBe('三四');
    expect(tokenizer.decode([startOfTranscript, languages['<|zh|>'], transcribe], { skip_special_tokens: false })).toBe(
      '<|startoftranscript|><|zh|><|transcribe|>',
    );
    expect(tokenizer.decode([WHISPER_TOKENS.timestampBegin + 75], { skip_special_tokens: true })).toBe('<|1.50|>');
  });

  it('needs its key/value caches: a bare onnxruntime loop with a broken cache says the wrong words', async () => {
    const encoder = await InferenceSession.create(join(directory, 'onnx', 'encoder_model.onnx'));
    const decoder = await InferenceSession.create(join(directory, 'onnx', 'decoder_model_merged.onnx'));
    try {
      const { input_features } = await processor(synthesizeWhisperSpeech(['three', 'one', 'two']));
      const features = new Tensor('float32', input_features.data as Float32Array, input_features.dims);
      const { last_hidden_state } = await encoder.run({ input_features: features });
      const prompt = [startOfTranscript, languages['<|en|>'], transcribe, noTimestamps];
      const decode = (breakCache?: (name: string, present: Tensor) => Tensor) =>
        greedyWhisperDecode(decoder, last_hidden_state, prompt, breakCache);
      const said = [words[2].english, words[0].english, words[1].english, endOfText];
      expect(await decode()).toEqual(said);

      const zeroed = (present: Tensor) => new Tensor('float32', new Float32Array(present.data.length), present.dims);
      const zeroSelf = await decode((name, present) => (name.includes('decoder.value') ? zeroed(present) : present));
      expect(zeroSelf).not.toEqual(said);
      const zeroCross = await decode((name, present) => (name.includes('encoder') ? zeroed(present) : present));
      expect(zeroCross).not.toEqual(said);
    } finally {
      await encoder.release();
      await decoder.release();
    }
  });
});

/** Greedy decoding on the merged decoder, feeding `present.*` back as `past_key_values.*`. */
async function greedyWhisperDecode(
  decoder: InferenceSession,
  encoderStates: Tensor,
  prompt: readonly number[],
  breakCache?: (name: string, present: Tensor) => Tensor,
): Promise<number[]> {
  const empty = () => new Tensor('float32', new Float32Array(0), [1, 4, 0, 8]);
  let cache: Record<string, Tensor> = {};
  for (const part of ['decoder', 'encoder']) {
    for (const kind of ['key', 'value']) cache[`past_key_values.0.${part}.${kind}`] = empty();
  }
  const generated: number[] = [];
  let stepIds = [...prompt];
  for (let step = 0; step < 10; step++) {
    const outputs = await decoder.run({
      ...cache,
      input_ids: new Tensor('int64', BigInt64Array.from(stepIds, BigInt), [1, stepIds.length]),
      encoder_hidden_states: encoderStates,
      use_cache_branch: new Tensor('bool', Uint8Array.from([step > 0 ? 1 : 0]), [1]),
    });
    const logits = outputs.logits;
    const vocabulary = logits.dims[2];
    const last = (logits.data as Float32Array).subarray((stepIds.length - 1) * vocabulary);
    const next = last.indexOf(Math.max(...last));
    generated.push(next);
    if (next === endOfText) break;
    const nextCache: Record<string, Tensor> = {};
    for (const name of Object.keys(cache)) {
      const present = outputs[name.replace('past_key_values', 'present')];
      nextCache[name] = breakCache ? breakCache(name, present) : present;
    }
    cache = nextCache;
    stepIds = [next];
  }
  return generated;
}
