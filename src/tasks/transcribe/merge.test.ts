import { describe, expect, it } from 'vitest';
import type { TranscriptionSegment } from '../../models/spec/index.ts';
import { longestSharedRun, mergeWindowTranscripts, type WindowTranscript } from './merge.ts';

/** One segment per word, each word 0.5 s long, starting at the given second. */
function wordSegments(words: [string, number][]): TranscriptionSegment[] {
  return words.map(([text, start], id) => ({ id, start, end: start + 0.5, text: ` ${text}` }));
}

/** What a window [start, end) hears of words spoken at `times`: whole words, and cut ones as a scrap. */
function hear(spoken: [string, number][], start: number, end: number): TranscriptionSegment[] {
  const heard: [string, number][] = [];
  for (const [word, time] of spoken) {
    if (time >= start && time + 0.5 <= end) heard.push([word, time]);
    else if (time + 0.5 > start && time < end) heard.push([`${word.slice(0, 2)}-`, Math.max(time, start)]);
  }
  return wordSegments(heard);
}

describe('mergeWindowTranscripts', () => {
  it('passes a single window through, renumbering segments', () => {
    const merged = mergeWindowTranscripts([
      { start: 0, end: 5, segments: [{ id: 7, start: 0.5, end: 2, text: ' Hello there.' }] },
    ]);
    expect(merged).toEqual({
      text: 'Hello there.',
      segments: [{ id: 0, start: 0.5, end: 2, text: 'Hello there.', window: 0 }],
    });
    expect(mergeWindowTranscripts([])).toEqual({ text: '', segments: [] });
  });

  it('joins windows that both heard the overlap: no word twice, no cut word, none dropped', () => {
    const vocabulary = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
    const spoken: [string, number][] = Array.from({ length: 65 }, (_, index) => [
      vocabulary[(index * 5) % vocabulary.length],
      0.3 + index * 1.05,
    ]);
    const windows: WindowTranscript[] = [
      [0, 30],
      [20, 50],
      [40, 70],
    ].map(([start, end]) => ({ start, end, segments: hear(spoken, start, end) }));
    const merged = mergeWindowTranscripts(windows);
    expect(merged.text).toBe(spoken.map(([word]) => word).join(' '));
    expect(merged.segments.map((segment) => segment.start)).toEqual(spoken.map(([, time]) => time));
    expect(merged.segments.map((segment) => segment.id)).toEqual(spoken.map((_, index) => index));
    // The overlap's first half comes from the earlier window, the rest from the later one.
    expect(merged.segments.find((segment) => segment.start > 22 && segment.start < 23)?.window).toBe(0);
    expect(merged.segments.find((segment) => segment.start > 27 && segment.start < 28)?.window).toBe(1);
  });

  it('counts repeated words right when the overlap is all one word', () => {
    const spoken: [string, number][] = Array.from({ length: 26 }, (_, index) => ['five', 12 + index]);
    const merged = mergeWindowTranscripts([
      { start: 0, end: 30, segments: hear(spoken, 0, 30) },
      { start: 20, end: 50, segments: hear(spoken, 20, 50) },
    ]);
    expect(merged.segments.map((segment) => segment.start)).toEqual(spoken.map(([, time]) => time));
    expect(merged.text).toBe(Array(26).fill('five').join(' '));
  });

  it('merges Chinese sentence segments character by character, trimming the kept parts', () => {
    const merged = mergeWindowTranscripts([
      {
        start: 0,
        end: 30,
        segments: [
          { id: 0, start: 10, end: 19, text: '我们明天去公园。' },
          { id: 1, start: 19.5, end: 30, text: '今天天气很好我们去' },
        ],
      },
      {
        start: 20,
        end: 50,
        segments: [
          { id: 0, start: 20, end: 26, text: '天天气很好' },
          { id: 1, start: 26, end: 31, text: '我们去公园散步。' },
        ],
      },
    ]);
    expect(merged.text).toBe('我们明天去公园。今天天气很好我们去公园散步。');
    expect(merged.segments.map(({ text, window }) => [text, window])).toEqual([
      ['我们明天去公园。', 0],
      // The shared run is 天天气很好我们去 (8 characters): 4 from each window.
      ['今天天气很', 0],
      ['好', 1],
      ['我们去公园散步。', 1],
    ]);
    // A segment cut by the merge starts or ends at its kept words, a whole one keeps its times.
    expect(merged.segments[1].start).toBe(19.5);
    expect(merged.segments[1].end).toBeLessThan(30);
    expect(merged.segments[3]).toMatchObject({ start: 26, end: 31 });
  });

  it('cuts at the middle of the overlap when the windows share no words', () => {
    const merged = mergeWindowTranscripts([
      {
        start: 0,
        end: 30,
        segments: wordSegments([
          ['one', 21],
          ['two', 24],
          ['three', 26],
          ['four', 29],
        ]),
      },
      {
        start: 20,
        end: 50,
        segments: wordSegments([
          ['uno', 21],
          ['dos', 24],
          ['tres', 26],
          ['cuatro', 29],
        ]),
      },
    ]);
    expect(merged.text).toBe('one two tres cuatro');
  });

  it('keeps the model word timestamps of kept words', () => {
    const merged = mergeWindowTranscripts([
      {
        start: 0,
        end: 30,
        segments: [
          {
            id: 0,
            start: 24,
            end: 30,
            text: ' red green blu',
            words: [
              { word: 'red', start: 24, end: 25 },
              { word: 'green', start: 26, end: 27 },
              { word: 'blu', start: 29.5, end: 30 },
            ],
          },
        ],
      },
      { start: 20, end: 50, segments: [{ id: 0, start: 24, end: 31, text: ' red green blue' }] },
    ]);
    expect(merged.text).toBe('red green blue');
    expect(merged.segments[0]).toMatchObject({ text: 'red', words: [{ word: 'red', start: 24, end: 25 }] });
    expect(merged.segments[1].words).toBeUndefined();
  });
});

describe('longestSharedRun', () => {
  const timed = (keys: string, start: number) =>
    [...keys].map((key, index) => ({ key, start: start + index, end: start + index + 1 }));

  it('finds the longest common run, and ignores runs heard far apart in time', () => {
    expect(longestSharedRun(timed('xabcdy', 10), timed('zabcdw', 10), 2)).toEqual({
      tailIndex: 1,
      headIndex: 1,
      length: 4,
    });
    expect(longestSharedRun(timed('xabcdy', 10), timed('zabcdw', 30), 2)).toBeUndefined();
    expect(longestSharedRun(timed('abc', 0), timed('xyz', 0), 5)).toBeUndefined();
  });
});
