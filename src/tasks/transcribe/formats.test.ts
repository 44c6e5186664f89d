import { describe, expect, it } from 'vitest';
import { clock, formatTranscript, languageName } from './formats.ts';
import type { TranscribeResult } from './transcribe.ts';

const result: TranscribeResult = {
  task: 'transcribe',
  text: 'Hello there. Fish & <chips> --> now',
  language: 'en',
  durationSeconds: 3730.25,
  segments: [
    { id: 0, seek: 0, start: 1.5, end: 3, text: 'Hello there.' },
    { id: 1, seek: 0, start: 4.0004, end: 6.9996, text: '  ' },
    { id: 2, seek: 372000, start: 3723.0715, end: 3725.0494, text: 'Fish & <chips>\n\n--> now' },
  ],
  timings: { totalMs: 1 },
};

describe('formatTranscript', () => {
  it('writes SRT: 1-based cues, comma milliseconds, hours, blank lines between cues', () => {
    expect(formatTranscript(result, 'srt')).toBe(
      [
        '1',
        '00:00:01,500 --> 00:00:03,000',
        'Hello there.',
        '',
        '2',
        '01:02:03,072 --> 01:02:05,049',
        'Fish & <chips> --> now',
        '',
      ].join('\n'),
    );
  });

  it('writes WebVTT: header, dot milliseconds, escaped cue text', () => {
    expect(formatTranscript(result, 'vtt')).toBe(
      [
        'WEBVTT',
        '',
        '00:00:01.500 --> 00:00:03.000',
        'Hello there.',
        '',
        '01:02:03.072 --> 01:02:05.049',
        'Fish &amp; &lt;chips&gt; --&gt; now',
        '',
      ].join('\n'),
    );
  });

  it('writes text and json as OpenAI does', () => {
    expect(formatTranscript(result, 'text')).toBe('Hello there. Fish & <chips> --> now\n');
    expect(JSON.parse(formatTranscript(result, 'json'))).toEqual({ text: 'Hello there. Fish & <chips> --> now' });
  });

  it('writes verbose_json with task, language name, duration, segments and words', () => {
    const withWords: TranscribeResult = {
      ...result,
      language: 'zh',
      segments: [
        {
          id: 0,
          seek: 2000,
          start: 20.12345,
          end: 21,
          text: '一二',
          words: [
            { word: '一', start: 20.12345, end: 20.5 },
            { word: '二', start: 20.5, end: 21 },
          ],
        },
      ],
    };
    expect(JSON.parse(formatTranscript(withWords, 'verbose_json'))).toEqual({
      task: 'transcribe',
      language: 'chinese',
      duration: 3730.25,
      text: result.text,
      segments: [{ id: 0, seek: 2000, start: 20.123, end: 21, text: '一二', temperature: 0 }],
      words: [
        { word: '一', start: 20.123, end: 20.5 },
        { word: '二', start: 20.5, end: 21 },
      ],
    });
    expect(JSON.parse(formatTranscript(result, 'verbose_json')).words).toBeUndefined();
  });

  it('writes empty documents for a transcript without segments', () => {
    const empty = { ...result, text: '', segments: [] };
    expect(formatTranscript(empty, 'srt')).toBe('');
    expect(formatTranscript(empty, 'vtt')).toBe('WEBVTT\n');
    expect(formatTranscript(empty, 'text')).toBe('\n');
  });
});

describe('clock', () => {
  it('rounds to the millisecond, carrying into seconds, minutes and hours', () => {
    expect(clock(0, ',')).toBe('00:00:00,000');
    expect(clock(59.9996, ',')).toBe('00:01:00,000');
    expect(clock(3599.9995, '.')).toBe('01:00:00.000');
    expect(clock(0.0004, '.')).toBe('00:00:00.000');
    expect(clock(360000.5, ',')).toBe('100:00:00,500');
    expect(clock(-0.2, ',')).toBe('00:00:00,000');
  });
});

describe('languageName', () => {
  it('names languages in English, lower case, and keeps codes it does not know', () => {
    expect(languageName('zh')).toBe('chinese');
    expect(languageName('en')).toBe('english');
    expect(languageName('de')).toBe('german');
    expect(languageName('qqq')).toBe('qqq');
  });
});
