/** OpenAI's presence and frequency penalties and vLLM's repetition penalty, in the spec's names. */
import type { ChatRequest } from '../../models/spec/index.ts';

export function penalties(body: {
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  repetition_penalty?: number | null;
}): Pick<ChatRequest, 'presencePenalty' | 'frequencyPenalty' | 'repetitionPenalty'> {
  return {
    ...(body.presence_penalty ? { presencePenalty: body.presence_penalty } : {}),
    ...(body.frequency_penalty ? { frequencyPenalty: body.frequency_penalty } : {}),
    ...(body.repetition_penalty ? { repetitionPenalty: body.repetition_penalty } : {}),
  };
}
