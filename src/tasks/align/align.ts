/**
 * `align`: text–speech forced alignment (the seed's §1). A CTC model (wav2vec2) gives per-frame
 * log-probabilities; CTC Viterbi finds the single best way to read the transcript out of them;
 * each character and word gets start/end seconds and a score.
 */
import { MmkitError } from '../../errors.ts';
import type { CtcModel } from '../../models/spec/ctc-model.ts';
import { loadAudio } from '../../preprocess/audio/load.ts';
import { minimumFrames, viterbiAlign } from './ctc-viterbi.ts';
import { type AlignedCharacter, type AlignedWord, alignedSpans } from './spans.ts';
import { prepareTranscript } from './transcript.ts';

export interface AlignOptions {
  /** A file path, the file's bytes, or mono samples at `sampleRate`. */
  audio: string | Uint8Array | Float32Array;
  transcript: string;
  model: CtcModel;
  signal?: AbortSignal;
  /** The rate the model hears (and of `audio` when it is samples); default 16 000 Hz (wav2vec2). */
  sampleRate?: number;
  /** Refuse longer audio (default 600 s). */
  maxSeconds?: number;
  /** Memory budget of the Viterbi backpointers (default 512 MiB, see `viterbiAlign`). */
  maxTrellisBytes?: number;
  /** Names the audio in error messages. */
  name?: string;
}

export interface AlignResult {
  /** The transcript as given. */
  transcript: string;
  /** What was aligned, spelled in the model's vocabulary ("HELLO WORLD"). */
  normalizedTranscript: string;
  words: AlignedWord[];
  characters: AlignedCharacter[];
  /** Mean probability (0–1) of the best path over all frames. */
  score: number;
  /** Total log-probability of the best path. */
  logProbability: number;
  /** The class id the alignment reads at each frame (the model's blank between characters). */
  path: Int32Array;
  secondsPerFrame: number;
  durationSeconds: number;
  model: string;
  warnings: string[];
}

export const DEFAULT_ALIGN_SAMPLE_RATE = 16000;
export const DEFAULT_ALIGN_MAX_SECONDS = 600;
/** About −80 dBFS: audio whose loudest sample is below this has nothing to align. */
const SILENCE_PEAK = 1e-4;

export async function align(options: AlignOptions): Promise<AlignResult> {
  const { model, signal } = options;
  const sampleRate = options.sampleRate ?? DEFAULT_ALIGN_SAMPLE_RATE;
  const maxSeconds = options.maxSeconds ?? DEFAULT_ALIGN_MAX_SECONDS;
  const name = options.name ?? (typeof options.audio === 'string' ? options.audio : 'audio');
  signal?.throwIfAborted();
  // The transcript first: a bad one fails before any audio is decoded or model run.
  const transcript = prepareTranscript(options.transcript, model.vocabulary, model.blankId);
  const samples = await audioSamples(options.audio, { name, sampleRate, maxSeconds, signal });
  const durationSeconds = samples.length / sampleRate;

  const emissions = await model.emissions(samples, sampleRate, { signal });
  signal?.throwIfAborted();
  if (emissions.classes !== model.vocabulary.length) {
    throw new MmkitError(
      `model ${model.description.id} emitted ${emissions.classes} classes but its vocabulary has ${model.vocabulary.length}`,
      { code: 'model_mismatch', type: 'runtime_error', param: 'model' },
    );
  }
  const needed = minimumFrames(transcript.labels);
  if (emissions.frames < needed) {
    const seconds = (frames: number) => (frames * emissions.secondsPerFrame).toFixed(2);
    throw new MmkitError(
      `${name}: audio too short for the transcript: ${durationSeconds.toFixed(2)} s gives ${emissions.frames} frames, but "${transcript.normalized}" needs at least ${needed} (${seconds(needed)} s)`,
      { code: 'audio_too_short', param: 'audio' },
    );
  }
  const path = viterbiAlign(emissions, transcript.labels, model.blankId, { maxTrellisBytes: options.maxTrellisBytes });
  const spans = alignedSpans(path, emissions, transcript, model.vocabulary, emissions.secondsPerFrame);
  return {
    transcript: options.transcript,
    normalizedTranscript: transcript.normalized,
    words: spans.words,
    characters: spans.characters,
    score: spans.score,
    logProbability: path.logProbability,
    path: path.classes,
    secondsPerFrame: emissions.secondsPerFrame,
    durationSeconds,
    model: model.description.id,
    warnings: transcript.warnings,
  };
}

async function audioSamples(
  audio: AlignOptions['audio'],
  options: { name: string; sampleRate: number; maxSeconds: number; signal: AbortSignal | undefined },
): Promise<Float32Array> {
  const { name, sampleRate, maxSeconds, signal } = options;
  let samples: Float32Array;
  if (audio instanceof Float32Array) {
    if (audio.length === 0) throw new MmkitError(`${name}: contains no audio`, { code: 'audio_empty', param: 'audio' });
    const seconds = audio.length / sampleRate;
    if (seconds > maxSeconds) {
      throw new MmkitError(`${name}: audio is ${seconds.toFixed(1)} s long, over the limit of ${maxSeconds} s`, {
        code: 'audio_too_long',
        param: 'audio',
      });
    }
    samples = audio;
  } else {
    samples = (await loadAudio(audio, { sampleRate, maxSeconds, name, signal })).samples;
  }
  let peak = 0;
  for (let index = 0; index < samples.length; index++) peak = Math.max(peak, Math.abs(samples[index]));
  if (!(peak >= SILENCE_PEAK)) {
    throw new MmkitError(`${name}: audio is silent: nothing to align`, { code: 'audio_silent', param: 'audio' });
  }
  return samples;
}
