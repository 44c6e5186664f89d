/**
 * OpenAI's transcription `response_format`s from a `TranscriptionResult`: json, text, srt, vtt,
 * verbose_json (segments, and words when asked for). A stand-in: when the `transcribe` task lands
 * with its own formatters, this file delegates to them and the route does not change.
 */
import type { TranscriptionResult } from '../../models/spec/index.ts';

export const TRANSCRIPTION_FORMATS = ['json', 'text', 'srt', 'vtt', 'verbose_json'] as const;
export type TranscriptionFormat = (typeof TRANSCRIPTION_FORMATS)[number];

export interface FormattedTranscription {
  contentType: string;
  body: string;
}

export function formatTranscription(
  result: TranscriptionResult,
  format: TranscriptionFormat,
  granularities: readonly ('word' | 'segment')[],
): FormattedTranscription {
  const json = (value: unknown) => ({ contentType: 'application/json; charset=utf-8', body: JSON.stringify(value) });
  switch (format) {
    case 'json':
      return json({ text: result.text });
    case 'text':
      return { contentType: 'text/plain; charset=utf-8', body: `${result.text}\n` };
    case 'srt':
      return { contentType: 'application/x-subrip; charset=utf-8', body: subtitles(result, 'srt') };
    case 'vtt':
      return { contentType: 'text/vtt; charset=utf-8', body: `WEBVTT\n\n${subtitles(result, 'vtt')}` };
    case 'verbose_json': {
      const words = result.segments.flatMap((segment) => segment.words ?? []);
      return json({
        task: 'transcribe',
        language: result.language,
        duration: result.durationSeconds,
        text: result.text,
        ...(granularities.length === 0 || granularities.includes('segment')
          ? {
              segments: result.segments.map((segment) => ({
                id: segment.id,
                seek: 0,
                start: segment.start,
                end: segment.end,
                text: segment.text,
                tokens: [],
                temperature: 0,
                avg_logprob: 0,
                compression_ratio: 0,
                no_speech_prob: 0,
              })),
            }
          : {}),
        ...(granularities.includes('word')
          ? { words: words.map(({ word, start, end }) => ({ word, start, end })) }
          : {}),
      });
    }
  }
}

function subtitles(result: TranscriptionResult, kind: 'srt' | 'vtt'): string {
  return result.segments
    .map((segment, index) => {
      const range = `${timestamp(segment.start, kind)} --> ${timestamp(segment.end, kind)}`;
      const cue = `${range}\n${segment.text.trim()}\n`;
      return kind === 'srt' ? `${index + 1}\n${cue}` : cue;
    })
    .join('\n');
}

function timestamp(seconds: number, kind: 'srt' | 'vtt'): string {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  const hours = Math.floor(totalMs / 3_600_000);
  const minutes = Math.floor(totalMs / 60_000) % 60;
  const secs = Math.floor(totalMs / 1000) % 60;
  const ms = totalMs % 1000;
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(hours)}:${pad(minutes)}:${pad(secs)}${kind === 'srt' ? ',' : '.'}${pad(ms, 3)}`;
}
