/**
 * Reading Whisper's output tokens, apart from running the model: the generated ids become timed
 * segments (`<|1.00|> text <|2.40|>` pairs), and language detection picks the language token the
 * decoder likes best right after `<|startoftranscript|>`, among the languages the model knows.
 */

export interface WhisperTokenLayout {
  /** Id of `<|0.00|>`; every id from here on is a timestamp. */
  timestampBegin: number;
  /** Ids from here up to `timestampBegin` are special tokens (`<|endoftext|>`, languages, tasks…). */
  firstSpecial: number;
  /** Seconds per timestamp step (0.02 for every Whisper). */
  timePrecision: number;
}

export interface WhisperSegment {
  start: number;
  end: number;
  text: string;
  tokens: number[];
}

/**
 * Segments from the ids generated after the prompt. A segment opens at a timestamp and closes at
 * the next timestamp after some text; text after the last timestamp runs to the end of the audio
 * (`durationSeconds`), as does text from a model that gave no timestamps at all.
 */
export function whisperSegments(
  generated: readonly number[],
  layout: WhisperTokenLayout,
  durationSeconds: number,
  decode: (ids: number[]) => string,
): WhisperSegment[] {
  const segments: WhisperSegment[] = [];
  const clamp = (seconds: number) => Math.min(durationSeconds, Math.max(0, seconds));
  let start: number | undefined;
  let lastEnd = 0;
  let text: number[] = [];
  const close = (end: number) => {
    const decoded = decode(text).trim();
    if (decoded !== '')
      segments.push({ start: start ?? lastEnd, end: Math.max(end, start ?? lastEnd), text: decoded, tokens: text });
    lastEnd = end;
    start = undefined;
    text = [];
  };
  for (const id of generated) {
    if (id >= layout.timestampBegin) {
      const time = clamp((id - layout.timestampBegin) * layout.timePrecision);
      if (text.length > 0) close(time);
      else start = time;
    } else if (id < layout.firstSpecial) {
      start ??= lastEnd;
      text.push(id);
    }
  }
  if (text.length > 0) close(durationSeconds);
  return segments;
}

/**
 * The language code (`zh`) whose token scores highest in `logits` (the scores for the token after
 * `<|startoftranscript|>`). `languageTokens` maps `<|zh|>` to its id; ties go to the first listed.
 */
export function pickLanguage(logits: ArrayLike<number>, languageTokens: Readonly<Record<string, number>>): string {
  let best: string | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const [token, id] of Object.entries(languageTokens)) {
    const score = logits[id];
    if (score > bestScore) {
      best = token;
      bestScore = score;
    }
  }
  if (best === undefined) throw new RangeError('the model lists no languages to detect');
  return best.replace(/^<\|/, '').replace(/\|>$/, '');
}
