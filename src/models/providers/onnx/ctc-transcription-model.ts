/**
 * Speech recognition with a CTC model (wav2vec2, HuBERT, WavLM, MMS … fine-tuned for CTC): the
 * model's most likely class per frame, repeats merged and blanks dropped (greedy CTC decoding, what
 * Transformers.js's pipeline and Hugging Face's processor do). Each character keeps the frames it
 * was heard in, so words and segments come with timestamps for free. Words are split at the
 * vocabulary's word delimiter (`|`, or a space); a vocabulary without one (Chinese characters)
 * makes each character a word, and a pause ends a word whatever the model emits. Segments break at
 * pauses. CTC models neither translate nor detect the language: translation is refused and the
 * language reported is the one asked for (`und` for `auto`).
 */
import { MmkitError } from '../../../errors.ts';
import type { CtcModel } from '../../spec/ctc-model.ts';
import type {
  ModelDescription,
  TimedWord,
  TranscriptionModel,
  TranscriptionRequest,
  TranscriptionResult,
  TranscriptionSegment,
} from '../../spec/index.ts';

/** A silence this long between two words starts a new segment. */
const SEGMENT_PAUSE_SECONDS = 0.5;
/** A segment this long ends at the next word boundary even without a pause. */
const SEGMENT_MAX_SECONDS = 15;

export class CtcTranscriptionModel implements TranscriptionModel {
  readonly description: ModelDescription;
  private readonly delimiterId: number | undefined;
  /** Vocabulary entries that never reach the text: `<s>`, `</s>`, `<unk>` and the like. */
  private readonly silentIds: ReadonlySet<number>;

  constructor(private readonly ctc: CtcModel) {
    this.description = ctc.description;
    const { vocabulary } = ctc;
    this.delimiterId = ['|', ' '].map((token) => vocabulary.indexOf(token)).find((id) => id >= 0);
    this.silentIds = new Set(
      vocabulary.flatMap((token, id) => (/^<[^<>]*>$|^\[[A-Z]+\]$/.test(token) || id === ctc.blankId ? [id] : [])),
    );
  }

  async transcribe(request: TranscriptionRequest): Promise<TranscriptionResult> {
    const started = performance.now();
    if (request.task === 'translate') {
      throw new MmkitError(
        `${this.description.id} is a CTC model: it transcribes in its own language and cannot translate; use a Whisper model to translate`,
        { code: 'translation_unsupported', param: 'task', type: 'unsupported_error' },
      );
    }
    const emissions = await this.ctc.emissions(
      request.samples,
      request.sampleRate,
      request.signal ? { signal: request.signal } : {},
    );
    const pauseFrames = Math.ceil(SEGMENT_PAUSE_SECONDS / emissions.secondsPerFrame);
    const words = this.words(greedyPath(emissions.logProbabilities, emissions.frames, emissions.classes), pauseFrames);
    const seconds = (frame: number) => frame * emissions.secondsPerFrame;
    const timed = words.map((word) => ({ word: word.text, start: seconds(word.start), end: seconds(word.end) }));
    const segments = groupSegments(timed, this.delimiterId !== undefined, request.wordTimestamps === true);
    return {
      text: segments.map((segment) => segment.text).join(this.delimiterId !== undefined ? ' ' : ''),
      language: request.language === 'auto' ? 'und' : request.language,
      durationSeconds: request.samples.length / request.sampleRate,
      segments,
      timings: { totalMs: performance.now() - started },
    };
  }

  /**
   * Characters (repeats merged, blanks dropped) grouped into words, with their first and end frame.
   * A pause of `pauseFrames` ends a word too: models often emit no delimiter across silence.
   */
  private words(path: Int32Array, pauseFrames: number): Array<{ text: string; start: number; end: number }> {
    const words: Array<{ text: string; start: number; end: number }> = [];
    let current: { text: string; start: number; end: number } | undefined;
    for (let frame = 0; frame < path.length; frame++) {
      const id = path[frame]!;
      const repeat = frame > 0 && path[frame - 1] === id;
      if (id === this.delimiterId || (this.delimiterId === undefined && !repeat && current)) {
        if (current) words.push(current);
        current = undefined;
        if (id === this.delimiterId) continue;
      }
      if (this.silentIds.has(id)) continue;
      if (repeat && current) {
        current.end = frame + 1;
        continue;
      }
      if (current && frame - current.end >= pauseFrames) {
        words.push(current);
        current = undefined;
      }
      current ??= { text: '', start: frame, end: frame + 1 };
      current.text += this.ctc.vocabulary[id];
      current.end = frame + 1;
    }
    if (current) words.push(current);
    return words;
  }
}

/** The most likely class of each frame. */
export function greedyPath(logProbabilities: Float32Array, frames: number, classes: number): Int32Array {
  const path = new Int32Array(frames);
  for (let frame = 0; frame < frames; frame++) {
    const row = frame * classes;
    let best = 0;
    for (let id = 1; id < classes; id++) if (logProbabilities[row + id]! > logProbabilities[row + best]!) best = id;
    path[frame] = best;
  }
  return path;
}

function groupSegments(words: TimedWord[], spaced: boolean, withWords: boolean): TranscriptionSegment[] {
  const groups: TimedWord[][] = [];
  for (const word of words) {
    const group = groups.at(-1);
    const last = group?.at(-1);
    if (
      !group ||
      !last ||
      word.start - last.end >= SEGMENT_PAUSE_SECONDS ||
      word.start - group[0]!.start >= SEGMENT_MAX_SECONDS
    ) {
      groups.push([word]);
    } else {
      group.push(word);
    }
  }
  return groups.map((group, id) => ({
    id,
    start: group[0]!.start,
    end: group.at(-1)!.end,
    text: group.map((word) => word.word).join(spaced ? ' ' : ''),
    ...(withWords ? { words: group } : {}),
  }));
}
