/**
 * `SpeechModel` over `POST {baseURL}/audio/speech`, asking for `wav` or `pcm` (the two formats we can
 * turn into samples without a codec) and decoding the answer to mono float samples.
 */
import { MmkitError } from '../../../errors.ts';
import type { ModelDescription, SpeechModel, SpeechRequest, SpeechResult } from '../../spec/index.ts';
import { type OpenAiConnection, postForBytes } from './http-client.ts';
import type { ResolvedOpenAiSpeechOptions } from './options.ts';
import { decodePcm16, decodeWav } from './pcm-audio.ts';

export class OpenAiSpeechModel implements SpeechModel {
  readonly description: ModelDescription;
  readonly voices: readonly string[];
  private readonly defaultVoice: string;

  constructor(
    private readonly connection: OpenAiConnection,
    readonly modelName: string,
    private readonly options: ResolvedOpenAiSpeechOptions,
    id: string,
  ) {
    this.description = { id, provider: 'openai' };
    this.voices = options.voices;
    this.defaultVoice = options.defaultVoice ?? options.voices[0];
  }

  async synthesize(request: SpeechRequest): Promise<SpeechResult> {
    const started = performance.now();
    if (request.text.trim() === '') {
      throw new MmkitError('speech: the text is empty', { code: 'invalid_speech_request', param: 'text' });
    }
    const voice = request.voice ?? this.defaultVoice;
    if (!this.voices.includes(voice)) {
      throw new MmkitError(
        `speech: unknown voice '${voice}' for '${this.modelName}' (voices: ${this.voices.join(', ')})`,
        {
          code: 'unknown_voice',
          param: 'voice',
        },
      );
    }
    const body: Record<string, unknown> = {
      model: this.modelName,
      input: request.text,
      voice,
      response_format: this.options.responseFormat,
    };
    if (request.speed !== undefined && request.speed !== 1) body.speed = request.speed;
    const { bytes, url } = await postForBytes(
      this.connection,
      '/audio/speech',
      { json: body },
      { model: this.modelName, signal: request.signal },
    );
    const audio =
      this.options.responseFormat === 'wav' ? decodeWav(bytes, url) : decodePcm16(bytes, this.options.pcmSampleRate);
    return { samples: audio.samples, sampleRate: audio.sampleRate, timings: { totalMs: performance.now() - started } };
  }
}
