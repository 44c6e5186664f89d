/**
 * The seed's input rules: `speech` needs audio, `text` needs text, anything else is an error. The
 * type may be given (as the seed's `input_type`) or follow from which of `audio` / `text` is present;
 * both at once is refused rather than guessed.
 */
import { MmkitError } from '../../errors.ts';

export type AssistantInputType = 'speech' | 'text';

export interface AssistantInput {
  /** Optional: implied by `audio` or `text` when absent. */
  type?: AssistantInputType;
  /** A file path, or the file's bytes (an upload). */
  audio?: string | Uint8Array;
  text?: string;
}

export type CheckedInput =
  | { type: 'speech'; audio: string | Uint8Array; name: string }
  | { type: 'text'; text: string };

const invalid = (message: string, param: string) =>
  new MmkitError(`assistant: ${message}`, { code: 'input_invalid', param });

export function checkAssistantInput(input: unknown, audioName?: string): CheckedInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid('the input must be {audio} or {text}', 'input');
  }
  const { type, audio, text } = input as Record<string, unknown>;
  if (type !== undefined && type !== 'speech' && type !== 'text') {
    throw invalid(`input type must be "speech" or "text", got ${JSON.stringify(type)}`, 'type');
  }
  const hasAudio = audio !== undefined && audio !== null && audio !== '';
  const hasText = text !== undefined && text !== null;
  if (hasAudio && hasText) throw invalid('give either audio or text, not both', 'input');
  const kind = type ?? (hasAudio ? 'speech' : hasText ? 'text' : undefined);
  if (kind === undefined) throw invalid('nothing to answer: give audio (speech input) or text', 'input');
  if (kind === 'speech') {
    if (hasText) throw invalid('speech input takes audio, not text', 'text');
    if (!hasAudio) throw invalid('speech input needs an audio file', 'audio');
    if (typeof audio !== 'string' && !(audio instanceof Uint8Array)) {
      throw invalid('audio must be a file path or the file’s bytes', 'audio');
    }
    if (audio instanceof Uint8Array && audio.length === 0) throw invalid('the audio is empty (0 bytes)', 'audio');
    return { type: 'speech', audio, name: audioName ?? (typeof audio === 'string' ? audio : 'audio') };
  }
  if (hasAudio) throw invalid('text input takes text, not audio', 'audio');
  if (typeof text !== 'string' || text.trim() === '') throw invalid('text input needs text', 'text');
  return { type: 'text', text };
}
