/**
 * The generation loop for models our own loop cannot run (vision-language models, unusual cache
 * layouts): Transformers.js's `generate()`, hooked up to the answer builder through a streamer
 * (every token) and a stopping criterion (abort, stop strings), with sampling done by our seeded
 * processor.
 */
import { LogitsProcessor, LogitsProcessorList, type PreTrainedModel, type Tensor } from '@huggingface/transformers';
import type { ChatRequest } from '../../spec/index.ts';
import type { AnswerBuilder } from './answer-builder.ts';
import { CallbackStoppingCriteria, TokenCallbackStreamer } from './generation-hooks.ts';
import type { JsonModeConstraint } from './json-mode.ts';
import { AnswerTokenPenalty, applyLogitBias, SeededSamplingProcessor } from './sampling.ts';
import type { TokenLogprobRecorder } from './token-logprobs.ts';

/**
 * What changes each step's logits besides the penalties, in order after them: the logit bias, the
 * log probabilities read, then the JSON mask.
 */
export interface LogitSteps {
  bias: [number, number][] | undefined;
  recorder: TokenLogprobRecorder | undefined;
  json: JsonModeConstraint | undefined;
}

export async function generateWithTransformers(
  model: PreTrainedModel,
  inputs: Record<string, unknown>,
  request: ChatRequest,
  maxNewTokens: number,
  seed: number,
  answer: AnswerBuilder,
  { json, recorder, bias }: LogitSteps,
): Promise<void> {
  // The order of our own loop: the penalties (the library's repetition penalty runs before ours),
  // then log probabilities are read, then the JSON mask and sampling change the logits.
  const processors = new LogitsProcessorList();
  const answerPenalty = AnswerTokenPenalty.of(request);
  if (answerPenalty) processors.push(new LogitsCallbackProcessor((logits) => answerPenalty.apply(logits)));
  if (bias) processors.push(new LogitsCallbackProcessor((logits) => applyLogitBias(logits, bias)));
  if (recorder) processors.push(new LogitsCallbackProcessor((logits) => recorder.observe(logits)));
  // JSON mode masks first, so sampling (or the library's greedy pick) chooses among what may come next.
  if (json) processors.push(new LogitsCallbackProcessor((logits) => json.mask(logits)));
  if (request.temperature > 0) {
    processors.push(
      new SeededSamplingProcessor({ temperature: request.temperature, topK: request.topK, topP: request.topP }, seed),
    );
  }
  await model.generate({
    ...inputs,
    max_new_tokens: maxNewTokens,
    // Sampling happens in our processor; the library's sampler then only takes the one token left.
    do_sample: false,
    ...(request.repetitionPenalty === undefined ? {} : { repetition_penalty: request.repetitionPenalty }),
    logits_processor: processors,
    stopping_criteria: new CallbackStoppingCriteria(() => answer.done),
    // The typings ask for a TextStreamer; generate() only calls put() and end().
    streamer: new TokenCallbackStreamer((tokenId) => {
      answerPenalty?.accept(tokenId);
      json?.accept(tokenId);
      answer.accept(tokenId, recorder?.chosen(tokenId));
    }) as never,
  });
}

/** Hands each step's logits to a function that reads or masks them in place (one sequence). */
class LogitsCallbackProcessor extends LogitsProcessor {
  constructor(private readonly callback: (logits: Float32Array) => void) {
    super();
  }

  override _call(_inputIds: bigint[][], logits: Tensor): Tensor {
    this.callback(logits.data as Float32Array);
    return logits;
  }
}
