import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeWhisperSpeech, WHISPER_SAMPLE_RATE } from '../../../testkit/whisper-speech.ts';
import { encodeWav } from '../../media/wav.ts';
import { eventsOf, readEvents } from '../test-support/sse-events.ts';
import { startTestServer, type TestServer } from '../test-support/test-server.ts';

interface AudioEvent {
  index: number;
  url: string;
  seconds: number;
}
interface AssistantDone {
  input_type: string;
  transcript?: string;
  answer: string;
  audio_url: string;
}

/** The sample rate and length in seconds of a served WAV. */
async function wavInfo(url: string): Promise<{ rate: number; seconds: number; type: string | null }> {
  const response = await fetch(url);
  const bytes = Buffer.from(await response.arrayBuffer());
  expect(bytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
  const rate = bytes.readUInt32LE(24);
  const dataBytes = bytes.length - 44;
  return { rate, seconds: dataBytes / 2 / rate, type: response.headers.get('content-type') };
}

describe('POST /api/assistant', () => {
  let test: TestServer;

  beforeAll(async () => {
    test = await startTestServer({ withImageAndSpeech: true });
  }, 60_000);
  afterAll(async () => {
    await test?.close();
  });

  const send = (form: FormData) => fetch(`${test.url}/api/assistant`, { method: 'POST', body: form });

  it('answers text with deltas, a WAV per sentence under /outputs, and the whole WAV in done', async () => {
    const form = new FormData();
    form.set('input_type', 'text');
    form.set('text', 'Hello there. How are you today?');
    const response = await send(form);
    expect(response.status).toBe(200);
    const events = await readEvents(response);
    expect(events.at(-1)!.event).toBe('done');
    const answer = eventsOf<{ text: string }>(events, 'delta')
      .map((delta) => delta.text)
      .join('');
    const [done] = eventsOf<AssistantDone>(events, 'done');
    expect(done!.input_type).toBe('text');
    expect(done!.answer).toBe(answer);
    // The echo model repeats the question.
    expect(done!.answer).toContain('How are you today?');
    const audio = eventsOf<AudioEvent>(events, 'audio');
    expect(audio.length).toBeGreaterThanOrEqual(1);
    expect(audio.map((chunk) => chunk.index)).toEqual(audio.map((_, index) => index));
    let spoken = 0;
    for (const chunk of audio) {
      expect(chunk.url).toMatch(/^\/outputs\/\d{8}T\d{9}Z-[0-9a-f]{16}\.wav$/);
      const info = await wavInfo(`${test.url}${chunk.url}`);
      expect(info.type).toBe('audio/wav');
      expect(info.seconds).toBeCloseTo(chunk.seconds, 2);
      spoken += chunk.seconds;
    }
    const whole = await wavInfo(`${test.url}${done!.audio_url}`);
    expect(whole.seconds).toBeGreaterThanOrEqual(spoken - 0.01);
  });

  it("sends a reasoning model's thinking as thinking events, kept out of the spoken answer", async () => {
    // The echo model writes back a thinking block and an answer, as a reasoning model would.
    const form = new FormData();
    form.set('input_type', 'text');
    form.set('text', '<think>They greet me; greet back.</think>\n\nHello to you.');
    const events = await readEvents(await send(form));
    const thinking = eventsOf<{ text: string }>(events, 'thinking').map((event) => event.text);
    expect(thinking.length).toBeGreaterThan(1);
    expect(thinking.join('')).toBe('They greet me; greet back.');
    const order = events.map((event) => event.event);
    expect(order.lastIndexOf('thinking')).toBeLessThan(order.indexOf('delta'));
    const [done] = eventsOf<AssistantDone & { reasoning?: string }>(events, 'done');
    expect(done).toMatchObject({ answer: 'Hello to you.', reasoning: 'They greet me; greet back.' });
    // One sentence spoken: the answer's, about a second of espeak, not the thinking's.
    const audio = eventsOf<AudioEvent>(events, 'audio');
    expect(audio).toHaveLength(1);
    expect(audio[0]!.seconds).toBeLessThan(2.5);
  });

  it('transcribes speech with the tiny Whisper and answers what it heard', async () => {
    const wav = encodeWav(synthesizeWhisperSpeech(['three', 'one', 'four']), WHISPER_SAMPLE_RATE);
    const form = new FormData();
    form.set('input_type', 'speech');
    form.set('audio', new Blob([wav], { type: 'audio/wav' }), 'question.wav');
    const events = await readEvents(await send(form));
    expect(eventsOf(events, 'transcript')).toEqual([{ text: '三一四' }]);
    const [done] = eventsOf<AssistantDone>(events, 'done');
    expect(done).toMatchObject({ input_type: 'speech', transcript: '三一四' });
    expect(done!.answer).toContain('三一四');
    expect(eventsOf(events, 'audio').length).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['speech without audio', { input_type: 'speech' }, 400],
    ['text without text', { input_type: 'text' }, 400],
    ['text that is only spaces', { input_type: 'text', text: '   ' }, 400],
    ['an unknown input type', { input_type: 'video', text: 'x' }, 400],
    ['an unknown voice', { input_type: 'text', text: 'hi', voice: 'no-such-voice' }, 400],
    ['a bad language', { input_type: 'text', text: 'hi', language: '../en' }, 400],
    ['text with NUL', { input_type: 'text', text: 'a\u0000b' }, 400],
  ])('refuses %s before streaming', async (_name, fields, status) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    const response = await send(form);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { message: string } }).error.message).not.toMatch(/\.ts:\d+/);
  });

  it('refuses audio that is not audio with 415', async () => {
    const form = new FormData();
    form.set('input_type', 'speech');
    form.set('audio', new Blob([new TextEncoder().encode('<html>not audio</html>')], { type: 'audio/wav' }), 'a.wav');
    expect((await send(form)).status).toBe(415);
  });
});
