import { describe, expect, it } from 'vitest';
import { isMmkitError } from '../../../errors.ts';
import { runEspeak } from './espeak-runtime.ts';
import { EspeakSpeechModel } from './espeak-speech-model.ts';
import { cepstra, dynamicTimeWarpingDistance } from './test-support/cepstra.ts';
import { correlation, rootMeanSquare, trimQuiet } from './test-support/signal-measures.ts';
import { ESPEAK_VOICES } from './voices.ts';

const model = new EspeakSpeechModel();
const seconds = (result: { samples: Float32Array; sampleRate: number }) => result.samples.length / result.sampleRate;

describe('EspeakSpeechModel', () => {
  it('speaks English at espeak rate, with a plausible length and real energy', async () => {
    const result = await model.synthesize({ text: 'The quick brown fox jumps over the lazy dog.' });
    expect(result.sampleRate).toBe(22050);
    expect(seconds(result)).toBeGreaterThan(9 * 0.2);
    expect(seconds(result)).toBeLessThan(9 * 1.0);
    expect(rootMeanSquare(result.samples)).toBeGreaterThan(0.03);
    expect(result.timings.totalMs).toBeGreaterThan(0);
  });

  it('speaks Mandarin with the cmn voice: one syllable per character', async () => {
    const text = '今天天气很好，我们去公园吧。';
    const automatic = await model.synthesize({ text });
    const forced = await model.synthesize({ text, voice: 'cmn' });
    expect(seconds(automatic)).toBeGreaterThan(12 * 0.12);
    expect(seconds(automatic)).toBeLessThan(12 * 0.6);
    expect(rootMeanSquare(automatic.samples)).toBeGreaterThan(0.03);
    // Pure Chinese is one Mandarin run, so the automatic choice is exactly the forced cmn voice.
    expect(correlation(automatic.samples, forced.samples)).toBeGreaterThan(0.999);
  });

  it('speaks each run of mixed text with its own voice', async () => {
    const mixed = (await model.synthesize({ text: "今天天气很好, let's go to the park." })).samples;
    const speak = async (text: string, voice: string) => (await model.synthesize({ text, voice })).samples;
    // The first run is the cmn voice's reading of the Chinese, sample for sample.
    const chinese = trimQuiet(await speak('今天天气很好,', 'cmn'), 0.01, true);
    expect(correlation(mixed.subarray(0, chinese.length), chinese)).toBeGreaterThan(0.999);
    // What follows sounds like the en-us voice reading the English (its intonation differs slightly
    // inside a longer utterance, so compare spectra), far more than like the cmn voice reading it.
    const rest = cepstra(trimQuiet(mixed.subarray(chinese.length), 0.02), 22050);
    const english = cepstra(trimQuiet(await speak("let's go to the park.", 'en-us'), 0.02), 22050);
    const englishByMandarinVoice = cepstra(trimQuiet(await speak("let's go to the park.", 'cmn'), 0.02), 22050);
    expect(dynamicTimeWarpingDistance(rest, english)).toBeLessThan(
      0.3 * dynamicTimeWarpingDistance(rest, englishByMandarinVoice),
    );
  });

  it('is deterministic and speeds up with speed', async () => {
    const text = 'Speech synthesis should be twice as fast at speed two.';
    const normal = await model.synthesize({ text, speed: 1 });
    const again = await model.synthesize({ text, speed: 1 });
    const fast = await model.synthesize({ text, speed: 2 });
    expect(again.samples).toEqual(normal.samples);
    expect(seconds(fast)).toBeLessThan(0.7 * seconds(normal));
    expect(seconds(fast)).toBeGreaterThan(0.3 * seconds(normal));
  });

  it('resamples when asked', async () => {
    const native = await model.synthesize({ text: 'Hello there.' });
    const wideband = await model.synthesize({ text: 'Hello there.', sampleRate: 16000 });
    expect(wideband.sampleRate).toBe(16000);
    expect(wideband.samples.length).toBe(Math.ceil((native.samples.length * 16000) / 22050));
  });

  it('speaks long text in several calls without failing', async () => {
    const paragraph = 'This sentence is one of many in a long paragraph. 这是一个很长的段落中的一句话。';
    const text = paragraph.repeat(60);
    const result = await model.synthesize({ text, speed: 2.5 });
    const words = 60 * (10 + 10);
    expect(seconds(result)).toBeGreaterThan(words * 0.08);
    expect(seconds(result)).toBeLessThan(words * 0.6);
    expect(rootMeanSquare(result.samples)).toBeGreaterThan(0.03);
  });

  it('rejects empty text, unknown voices and out-of-range options with a one-line error', async () => {
    const failure = async (request: Parameters<typeof model.synthesize>[0]) =>
      model.synthesize(request).then(
        () => null,
        (error: unknown) => error,
      );
    const empty = await failure({ text: '  \n ' });
    expect(isMmkitError(empty) && empty.code).toBe('empty_text');
    const unknown = await failure({ text: 'hi', voice: 'klingon-9' });
    expect(isMmkitError(unknown) && unknown.message).toMatch(
      /unknown espeak voice "klingon-9"; voices: af, .*cmn, .*en-us/,
    );
    const speed = await failure({ text: 'hi', speed: 9 });
    expect(isMmkitError(speed) && speed.code).toBe('invalid_speed');
    const aborted = await failure({ text: 'hi', signal: AbortSignal.abort() });
    expect((aborted as Error).name).toBe('AbortError');
  });

  it('lists exactly the voices the WASM build has, plus the en alias', async () => {
    const { lines } = await runEspeak(['--voices']);
    const identifiers = new Set(lines.slice(1).map((line) => line.trim().split(/\s+/)[1]));
    expect(new Set(ESPEAK_VOICES)).toEqual(new Set([...identifiers, 'en']));
  });
});
