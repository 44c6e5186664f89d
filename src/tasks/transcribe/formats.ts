/**
 * A transcript in the shapes OpenAI's `/v1/audio/transcriptions` answers with: `json` (`{text}`),
 * `text`, `srt`, `vtt` and `verbose_json` (task, language, duration, text, segments, words). Every
 * document ends with one newline. Times are rounded to the millisecond; SRT writes
 * `00:01:02,500`, WebVTT `00:01:02.500`.
 */
import type { TranscribeResult } from './transcribe.ts';

export const TRANSCRIPT_FORMATS = ['json', 'text', 'srt', 'vtt', 'verbose_json'] as const;
export type TranscriptFormat = (typeof TRANSCRIPT_FORMATS)[number];

export function formatTranscript(result: TranscribeResult, format: TranscriptFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify({ text: result.text }, null, 2)}\n`;
    case 'text':
      return `${result.text}\n`;
    case 'srt':
      return cues(result)
        .map((cue, index) => `${index + 1}\n${clock(cue.start, ',')} --> ${clock(cue.end, ',')}\n${cue.text}\n`)
        .join('\n');
    case 'vtt':
      return [
        'WEBVTT\n',
        ...cues(result).map((cue) => `${clock(cue.start, '.')} --> ${clock(cue.end, '.')}\n${escapeVtt(cue.text)}\n`),
      ].join('\n');
    case 'verbose_json':
      return `${JSON.stringify(verboseJson(result), null, 2)}\n`;
  }
}

/** `HH:MM:SS,mmm` (or `.mmm`): hours keep counting past 99. */
export function clock(seconds: number, separator: ',' | '.'): string {
  const totalMilliseconds = Math.max(0, Math.round(seconds * 1000));
  const milliseconds = totalMilliseconds % 1000;
  const totalSeconds = Math.floor(totalMilliseconds / 1000);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}${separator}${pad(milliseconds, 3)}`;
}

/** Segments with text, on one line each (a blank line would end a cue early). */
function cues(result: TranscribeResult) {
  return result.segments
    .map((segment) => ({ start: segment.start, end: segment.end, text: segment.text.replace(/\s+/g, ' ').trim() }))
    .filter((cue) => cue.text !== '');
}

/** WebVTT reserves `&`, `<` and the `-->` arrow in cue text. */
function escapeVtt(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'code' });

/** OpenAI names the language in English, lower case ("chinese"), as Whisper's own table does. */
export function languageName(code: string): string {
  try {
    return (languageNames.of(code) ?? code).toLowerCase();
  } catch {
    return code;
  }
}

function verboseJson(result: TranscribeResult) {
  const words = result.segments.flatMap((segment) => segment.words ?? []);
  return {
    task: result.task,
    language: languageName(result.language),
    duration: round(result.durationSeconds),
    text: result.text,
    segments: result.segments.map((segment) => ({
      id: segment.id,
      seek: segment.seek,
      start: round(segment.start),
      end: round(segment.end),
      text: segment.text,
      // Greedy decoding, as OpenAI's first (temperature 0) pass.
      temperature: 0,
    })),
    ...(words.length
      ? { words: words.map((word) => ({ ...word, start: round(word.start), end: round(word.end) })) }
      : {}),
  };
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
