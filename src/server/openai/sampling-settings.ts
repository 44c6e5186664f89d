/**
 * The sampling fields chat and text completions share (temperature, top-p and top-k, OpenAI's
 * presence and frequency penalties and logit bias, vLLM's repetition penalty, seed, stop strings), in the
 * spec's names, with OpenAI's defaults where the client sets none.
 */
import type { SamplingSettings } from '../../models/spec/index.ts';

export interface SamplingFields {
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  repetition_penalty?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  logit_bias?: Record<string, number> | null;
}

export function samplingSettings(body: SamplingFields): Omit<SamplingSettings, 'maxNewTokens' | 'logprobs'> {
  const stop = body.stop === undefined || body.stop === null ? undefined : [body.stop].flat();
  return {
    temperature: body.temperature ?? 1,
    topP: body.top_p ?? 1,
    ...(body.top_k ? { topK: body.top_k } : {}),
    ...(body.presence_penalty ? { presencePenalty: body.presence_penalty } : {}),
    ...(body.frequency_penalty ? { frequencyPenalty: body.frequency_penalty } : {}),
    ...(body.repetition_penalty ? { repetitionPenalty: body.repetition_penalty } : {}),
    ...(body.seed === undefined || body.seed === null ? {} : { seed: body.seed }),
    ...(stop ? { stop } : {}),
    ...(body.logit_bias && Object.keys(body.logit_bias).length > 0 ? { logitBias: tokenBias(body.logit_bias) } : {}),
  };
}

function tokenBias(bias: Record<string, number>): Record<number, number> {
  return Object.fromEntries(Object.entries(bias).map(([token, value]) => [Number(token), value]));
}
