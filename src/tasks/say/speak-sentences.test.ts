import { describe, expect, it } from 'vitest';
import type { SpeechModel } from '../../models/spec/index.ts';
import { speakSentences, spokenSentences } from './speak-sentences.ts';

/** Says each text as samples as long as the text, at `rates[call]` (16 kHz by default). */
function countingVoice(rates: number[] = []): SpeechModel & { texts: string[] } {
  const texts: string[] = [];
  return {
    description: { id: 'counting', provider: 'test' },
    voices: [],
    texts,
    async synthesize(request) {
      texts.push(request.text);
      return {
        samples: new Float32Array(request.text.length),
        sampleRate: rates[texts.length - 1] ?? 16_000,
        timings: { totalMs: 1 },
      };
    },
  };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('speakSentences', () => {
  it('speaks a text sentence by sentence, in order, short ones joined to the next', async () => {
    expect(
      spokenSentences('Hi. This is the first real sentence. 这是第二个句子。And a last one without an end'),
    ).toEqual(['Hi. This is the first real sentence.', '这是第二个句子。', 'And a last one without an end']);
    const voice = countingVoice();
    const spoken = await collect(speakSentences({ model: voice, text: 'One sentence here. Another sentence there.' }));
    expect(spoken.map((sentence) => [sentence.text, sentence.samples.length])).toEqual([
      ['One sentence here.', 18],
      ['Another sentence there.', 23],
    ]);
    // Nothing speakable: the text as it is, for the voice to refuse or say.
    expect(spokenSentences('…')).toEqual(['…']);
  });

  it('refuses empty text, and a voice whose rate changes between sentences', async () => {
    await expect(collect(speakSentences({ model: countingVoice(), text: '  ' }))).rejects.toMatchObject({
      code: 'text_empty',
    });
    const text = 'The first sentence is long. The second one is too.';
    await expect(collect(speakSentences({ model: countingVoice([16_000, 22_050]), text }))).rejects.toMatchObject({
      code: 'speech_rate_changed',
    });
  });
});
