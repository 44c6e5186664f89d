/**
 * The tiny Whisper's words, tones and token ids, and its `tokenizer.json` / `tokenizer_config.json`.
 *
 * Token ids follow Whisper's order at a small scale: byte tokens (0–255), whole-word tokens, then
 * `<|endoftext|>`, `<|startoftranscript|>`, one token per Whisper language, `<|translate|>`,
 * `<|transcribe|>`, `<|startoflm|>`, `<|startofprev|>`, `<|nocaptions|>`, `<|notimestamps|>` and the
 * 1501 timestamp tokens `<|0.00|>` … `<|30.00|>` (Transformers.js takes the first timestamp to be
 * `<|notimestamps|>` + 1 and needs every text token below `<|endoftext|>`).
 */
import { byteLevelWordTokens } from './byte-merges.ts';
import { byteLevelTokenizerJson } from './byte-tokenizer.ts';

/**
 * The words the model can say, each heard as a pure tone at the centre of one Whisper mel filter
 * (filters 8 apart, so tones never share a filter). English in English, Chinese when transcribing
 * Chinese.
 */
export const WHISPER_WORDS = [
  { english: 'one', chinese: '一', melFilter: 10 },
  { english: 'two', chinese: '二', melFilter: 18 },
  { english: 'three', chinese: '三', melFilter: 26 },
  { english: 'four', chinese: '四', melFilter: 34 },
  { english: 'five', chinese: '五', melFilter: 42 },
  { english: 'six', chinese: '六', melFilter: 50 },
] as const;

export type WhisperWord = (typeof WHISPER_WORDS)[number]['english'];

/** Whisper's language codes, in its token order. */
export const WHISPER_LANGUAGE_CODES = (
  'en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th ur hr bg lt ' +
  'la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl mr pa si km sn yo so af oc ' +
  'ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my bo tl mg as tt haw ln ha ba jw su'
).split(' ');

export const NUM_MEL_BINS = 80;
/** Timestamp tokens: 0.00 s to 30.00 s in 0.02 s steps, one per encoder position plus the end. */
export const TIMESTAMP_COUNT = 1501;
export const TIME_PRECISION = 0.02;

/** Centre frequency (Hz) of Whisper's mel filter `index` (Slaney mel scale, 0–8000 Hz, 80 filters). */
export function melFilterCentre(index: number): number {
  const linearStep = 200 / 3;
  const logStep = Math.log(6.4) / 27;
  const toMel = (hertz: number) => (hertz < 1000 ? hertz / linearStep : 15 + Math.log(hertz / 1000) / logStep);
  const toHertz = (mel: number) => (mel < 15 ? mel * linearStep : 1000 * Math.exp(logStep * (mel - 15)));
  const melStep = toMel(8000) / (NUM_MEL_BINS + 1);
  return toHertz(melStep * (index + 1));
}

/** The tone (Hz) that stands for `word`. */
export function whisperWordFrequency(word: WhisperWord): number {
  const entry = WHISPER_WORDS.find((candidate) => candidate.english === word);
  if (!entry) throw new RangeError(`the tiny whisper has no word "${word}"`);
  return melFilterCentre(entry.melFilter);
}

const wordTokens = byteLevelWordTokens(
  WHISPER_WORDS.flatMap((word) => [` ${word.english}`, word.chinese]),
  256,
);

function specialIds() {
  let next = wordTokens.nextId;
  const endOfText = next++;
  const startOfTranscript = next++;
  const languages = Object.fromEntries(WHISPER_LANGUAGE_CODES.map((code) => [`<|${code}|>`, next++]));
  const translate = next++;
  const transcribe = next++;
  const startOfLm = next++;
  const startOfPrevious = next++;
  const noCaptions = next++;
  const noTimestamps = next++;
  return {
    endOfText,
    startOfTranscript,
    languages,
    translate,
    transcribe,
    startOfLm,
    startOfPrevious,
    noCaptions,
    noTimestamps,
    timestampBegin: next,
  };
}

export const WHISPER_TOKENS = {
  ...specialIds(),
  /** Per word (in `WHISPER_WORDS` order): the English token (with its leading space) and the Chinese one. */
  words: WHISPER_WORDS.map((word) => ({
    english: wordTokens.ids[` ${word.english}`],
    chinese: wordTokens.ids[word.chinese],
  })),
};

export const WHISPER_VOCABULARY_SIZE = WHISPER_TOKENS.timestampBegin + TIMESTAMP_COUNT;

function specialTokenList(): { id: number; content: string; special: boolean }[] {
  const tokens = WHISPER_TOKENS;
  const list = [
    { id: tokens.endOfText, content: '<|endoftext|>' },
    { id: tokens.startOfTranscript, content: '<|startoftranscript|>' },
    ...Object.entries(tokens.languages).map(([content, id]) => ({ id, content })),
    { id: tokens.translate, content: '<|translate|>' },
    { id: tokens.transcribe, content: '<|transcribe|>' },
    { id: tokens.startOfLm, content: '<|startoflm|>' },
    { id: tokens.startOfPrevious, content: '<|startofprev|>' },
    { id: tokens.noCaptions, content: '<|nocaptions|>' },
    { id: tokens.noTimestamps, content: '<|notimestamps|>' },
  ].map((token) => ({ ...token, special: true }));
  // Timestamps are added tokens but not special: the ASR decoder reads them by id range.
  for (let step = 0; step < TIMESTAMP_COUNT; step++) {
    list.push({
      id: tokens.timestampBegin + step,
      content: `<|${(step * TIME_PRECISION).toFixed(2)}|>`,
      special: false,
    });
  }
  return list;
}

export function whisperTokenizerJson(): object {
  return byteLevelTokenizerJson(specialTokenList(), wordTokens);
}

export function whisperTokenizerConfig(): object {
  return {
    tokenizer_class: 'WhisperTokenizer',
    bos_token: '<|endoftext|>',
    eos_token: '<|endoftext|>',
    pad_token: '<|endoftext|>',
    unk_token: '<|endoftext|>',
    model_max_length: 448,
    add_prefix_space: false,
    clean_up_tokenization_spaces: true,
    errors: 'replace',
    added_tokens_decoder: Object.fromEntries(
      specialTokenList().map((token) => [
        String(token.id),
        {
          content: token.content,
          lstrip: false,
          normalized: false,
          rstrip: false,
          single_word: false,
          special: token.special,
        },
      ]),
    ),
  };
}
