/**
 * One chat generation on a loaded Transformers.js model: sampling settings to generation options,
 * token ids to text deltas (whole characters only, stop strings cut), abort at the next token,
 * and the usage, timings and finish reason of the result.
 */
import { LogitsProcessorList, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import { MmkitError } from '../../../errors.ts';
import type { ChatRequest, ChatResult, FinishReason } from '../../spec/index.ts';
import { CallbackStoppingCriteria, TokenCallbackStreamer } from './generation-hooks.ts';
import { IncrementalDetokenizer } from './incremental-detokenizer.ts';
import { SeededSamplingProcessor } from './sampling.ts';
import { StopSequenceFilter } from './stop-sequences.ts';

export interface PreparedPrompt {
  /** Tensors for `generate()` (input_ids, attention_mask, pixel_values, …). */
  inputs: Record<string, unknown>;
  promptTokens: number;
}

export interface GenerationTarget {
  model: PreTrainedModel;
  tokenizer: PreTrainedTokenizer;
  contextLength: number;
  endOfSequenceIds: ReadonlySet<number>;
}

/** A seed for requests that give none: still a per-request generator, just not a reproducible one. */
function freshSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

function checkSettings(request: ChatRequest): void {
  const problems: [string, boolean][] = [
    ['maxNewTokens must be a positive integer', !Number.isInteger(request.maxNewTokens) || request.maxNewTokens < 1],
    ['temperature must be ≥ 0', !(request.temperature >= 0)],
    ['topP must be in (0, 1]', !(request.topP > 0 && request.topP <= 1)],
    [
      'topK must be a non-negative integer',
      request.topK !== undefined && !(Number.isInteger(request.topK) && request.topK >= 0),
    ],
    ['repetitionPenalty must be > 0', request.repetitionPenalty !== undefined && !(request.repetitionPenalty > 0)],
  ];
  for (const [message, failed] of problems) {
    if (failed)
      throw new MmkitError(`invalid sampling setting: ${message}`, {
        code: 'invalid_sampling',
        param: message.split(' ')[0],
      });
  }
}

export async function runGeneration(
  target: GenerationTarget,
  prompt: PreparedPrompt,
  request: ChatRequest,
  startedAt: number,
  onDelta: (text: string) => void,
): Promise<ChatResult> {
  checkSettings(request);
  const room = target.contextLength - prompt.promptTokens;
  if (room < 1) {
    throw new MmkitError(
      `the prompt is ${prompt.promptTokens} tokens, the model's context is ${target.contextLength}: shorten the conversation`,
      { code: 'context_length_exceeded', param: 'messages' },
    );
  }
  const signal = request.signal;
  const detokenizer = new IncrementalDetokenizer((ids) => target.tokenizer.decode(ids, { skip_special_tokens: true }));
  const stopFilter = new StopSequenceFilter(request.stop);
  let text = '';
  let completionTokens = 0;
  let lastToken: number | undefined;
  let firstTokenAt: number | undefined;
  const emit = (delta: string) => {
    if (delta.length === 0) return;
    text += delta;
    onDelta(delta);
  };
  const streamer = new TokenCallbackStreamer((tokenId) => {
    // A token that arrives after the abort is not part of the answer.
    if (signal?.aborted || stopFilter.stopped) return;
    firstTokenAt ??= performance.now();
    completionTokens++;
    lastToken = tokenId;
    if (target.endOfSequenceIds.has(tokenId)) return;
    emit(stopFilter.push(detokenizer.push(tokenId)).text);
  });
  const stopping = new CallbackStoppingCriteria(() => Boolean(signal?.aborted) || stopFilter.stopped);
  let sampling: LogitsProcessorList | undefined;
  if (request.temperature > 0) {
    sampling = new LogitsProcessorList();
    sampling.push(
      new SeededSamplingProcessor(
        { temperature: request.temperature, topK: request.topK, topP: request.topP },
        request.seed ?? freshSeed(),
      ),
    );
  }
  if (!signal?.aborted) {
    await target.model.generate({
      ...prompt.inputs,
      max_new_tokens: Math.min(request.maxNewTokens, room),
      // Sampling happens in our processor; the library's sampler then only takes the one token left.
      do_sample: false,
      ...(request.repetitionPenalty === undefined ? {} : { repetition_penalty: request.repetitionPenalty }),
      logits_processor: sampling,
      stopping_criteria: stopping,
      // The typings ask for a TextStreamer; generate() only calls put() and end().
      streamer: streamer as never,
    });
  }
  if (!stopFilter.stopped) {
    emit(stopFilter.push(detokenizer.flush()).text);
    emit(stopFilter.flush());
  }
  const finishReason: FinishReason = signal?.aborted
    ? 'abort'
    : stopFilter.stopped || (lastToken !== undefined && target.endOfSequenceIds.has(lastToken))
      ? 'stop'
      : 'length';
  const finishedAt = performance.now();
  return {
    text,
    finishReason,
    usage: { promptTokens: prompt.promptTokens, completionTokens },
    timings: {
      totalMs: finishedAt - startedAt,
      ...(firstTokenAt === undefined ? {} : { firstOutputMs: firstTokenAt - startedAt }),
    },
  };
}
