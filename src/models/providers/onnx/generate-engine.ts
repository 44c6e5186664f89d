/**
 * The generation loop for models our own loop cannot run (vision-language models, unusual cache
 * layouts): Transformers.js's `generate()`, hooked up to the answer builder through a streamer
 * (every token) and a stopping criterion (abort, stop strings), with sampling done by our seeded
 * processor.
 */
import { LogitsProcessorList, type PreTrainedModel } from '@huggingface/transformers';
import type { ChatRequest } from '../../spec/index.ts';
import type { AnswerBuilder } from './answer-builder.ts';
import { CallbackStoppingCriteria, TokenCallbackStreamer } from './generation-hooks.ts';
import { SeededSamplingProcessor } from './sampling.ts';

export async function generateWithTransformers(
  model: PreTrainedModel,
  inputs: Record<string, unknown>,
  request: ChatRequest,
  maxNewTokens: number,
  seed: number,
  answer: AnswerBuilder,
): Promise<void> {
  let sampling: LogitsProcessorList | undefined;
  if (request.temperature > 0) {
    sampling = new LogitsProcessorList();
    sampling.push(
      new SeededSamplingProcessor({ temperature: request.temperature, topK: request.topK, topP: request.topP }, seed),
    );
  }
  await model.generate({
    ...inputs,
    max_new_tokens: maxNewTokens,
    // Sampling happens in our processor; the library's sampler then only takes the one token left.
    do_sample: false,
    ...(request.repetitionPenalty === undefined ? {} : { repetition_penalty: request.repetitionPenalty }),
    logits_processor: sampling,
    stopping_criteria: new CallbackStoppingCriteria(() => answer.done),
    // The typings ask for a TextStreamer; generate() only calls put() and end().
    streamer: new TokenCallbackStreamer((tokenId) => answer.accept(tokenId)) as never,
  });
}
