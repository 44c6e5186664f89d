import { describe, expect, it } from 'vitest';
import { isMmkitError } from '../src/errors.ts';
import {
  CTC_BLANK_ID,
  CTC_FRAME_HOP,
  CTC_LEAD_IN,
  CTC_TONE_IDS,
  CTC_VOCABULARY,
  collapseCtcPath,
  ctcToneFrequency,
  synthesizeCtcSpeech,
} from './ctc-speech.ts';

const id = (token: string) => CTC_VOCABULARY.indexOf(token);

describe('synthesizeCtcSpeech', () => {
  it("uses wav2vec2-base-960h's vocabulary order with <pad> as blank", () => {
    expect(CTC_VOCABULARY).toHaveLength(32);
    expect(CTC_VOCABULARY.slice(0, 8)).toEqual(['<pad>', '<s>', '</s>', '<unk>', '|', 'E', 'T', 'A']);
    expect(id("'")).toBe(27);
    expect(id('Z')).toBe(31);
    expect(CTC_TONE_IDS.map(ctcToneFrequency)).toEqual(Array.from({ length: 28 }, (_, index) => 300 + 100 * index));
  });

  it('spells "hello world" frame by frame: blanks at the edges, a blank between the two Ls, | between words', () => {
    const speech = synthesizeCtcSpeech('Hello  world');
    expect(speech.transcript).toBe('HELLO WORLD');
    expect(speech.sampleRate).toBe(16000);
    const blank = CTC_BLANK_ID;
    const twice = (token: string) => [id(token), id(token)];
    expect(speech.frameLabels).toEqual([
      ...[blank, blank, blank],
      ...twice('H'),
      ...twice('E'),
      ...twice('L'),
      blank,
      ...twice('L'),
      ...twice('O'),
      ...twice('|'),
      ...twice('W'),
      ...twice('O'),
      ...twice('R'),
      ...twice('L'),
      ...twice('D'),
      ...[blank, blank, blank],
    ]);
    expect(speech.audio).toHaveLength(CTC_LEAD_IN + speech.frameLabels.length * CTC_FRAME_HOP);
    expect(collapseCtcPath(speech.frameLabels)).toBe('HELLO WORLD');
    expect(speech.segments.map((segment) => segment.token).join('')).toBe('HELLO|WORLD');
    expect(speech.segments[3]).toEqual({ token: 'L', id: id('L'), startFrame: 10, endFrame: 12 });
    expect(speech.words).toEqual([
      { word: 'HELLO', startFrame: 3, endFrame: 14, startSeconds: 0.06, endSeconds: 0.28 },
      { word: 'WORLD', startFrame: 16, endFrame: 26, startSeconds: 0.32, endSeconds: 0.52 },
    ]);
  });

  it('writes silence on blank frames and a tone of the character frequency elsewhere', () => {
    const speech = synthesizeCtcSpeech('t', { edgeFrames: 1, framesPerCharacter: 1, amplitude: 0.8 });
    const frame = (index: number) =>
      speech.audio.subarray(CTC_LEAD_IN + index * CTC_FRAME_HOP, CTC_LEAD_IN + (index + 1) * CTC_FRAME_HOP);
    expect(Math.max(...frame(0).map(Math.abs))).toBe(0);
    expect(Math.max(...frame(2).map(Math.abs))).toBe(0);
    // 'T' is 500 Hz: 10 whole periods in 320 samples, crossing zero every 16 samples.
    const tone = frame(1);
    expect(Math.max(...tone)).toBeCloseTo(0.8, 3);
    expect(tone[16]).toBeCloseTo(0, 5);
    expect(tone[8]).toBeCloseTo(0.8, 5);
  });

  it('honours frame options and always separates repeated characters', () => {
    const speech = synthesizeCtcSpeech('aa', { framesPerCharacter: 3, edgeFrames: 0, repeatGapFrames: 2 });
    expect(speech.frameLabels).toEqual([7, 7, 7, 0, 0, 7, 7, 7]);
    const spaced = synthesizeCtcSpeech('at', { framesPerCharacter: 1, edgeFrames: 0, gapFrames: 1 });
    expect(spaced.frameLabels).toEqual([7, 0, 6]);
    expect(collapseCtcPath(speech.frameLabels)).toBe('AA');
  });

  it('rejects text it cannot spell and bad options with MmkitError', () => {
    const attempt = (text: string, options = {}) => {
      try {
        synthesizeCtcSpeech(text, options);
      } catch (error) {
        return error;
      }
      throw new Error('expected an error');
    };
    const digit = attempt('route 66');
    expect(isMmkitError(digit) && digit.code).toBe('unsupported_character');
    expect((digit as Error).message).toBe('cannot synthesise "6" in "route 66": only letters, "\'" and spaces');
    expect(isMmkitError(attempt('a|b')) && (attempt('a|b') as { code: string }).code).toBe('unsupported_character');
    expect((attempt('   ') as { code: string }).code).toBe('empty_text');
    expect((attempt('ok', { framesPerCharacter: 0 }) as { code: string }).code).toBe('invalid_option');
    expect((attempt('ok', { repeatGapFrames: 0 }) as { code: string }).code).toBe('invalid_option');
  });
});
