/**
 * One chat generation on a loaded model: checks the settings and the context room, then runs our
 * own decode loop where the model allows it (decoder-only, standard cache) and Transformers.js's
 * `generate()` otherwise. Both feed the same answer builder, so text, streaming, stop strings,
 * abort and the finish reason behave the same.
 */
import type { PreTrainedModel, PreTrainedTokenizer, Tensor } from '@huggingface/transformers';
import { MmkitError } from '../../../errors.ts';
import type { ChatRequest, ChatResult } from '../../spec/index.ts';
import { AnswerBuilder, type AnswerDelta } from './answer-builder.ts';
import { answerGrammar } from './answer-grammar.ts';
import { generateWithTransformers, type LogitSteps } from './generate-engine.ts';
import { JsonModeConstraint } from './json-mode.ts';
import { type KvCacheDecoderPlan, runKvCacheDecoder } from './kv-cache-decoder.ts';
import {
  AnswerTokenPenalty,
  applyLogitBias,
  applyRepetitionPenalty,
  argmax,
  logitBiasEntries,
  sampleToken,
  seededUniformSource,
} from './sampling.ts';
import { tokenBytes } from './token-bytes.ts';
import { TokenLogprobRecorder } from './token-logprobs.ts';

export interface PreparedPrompt {
  /** Tensors for the model (input_ids, attention_mask, pixel_values, …). */
  inputs: Record<string, unknown>;
  promptTokens: number;
}

export interface GenerationTarget {
  model: PreTrainedModel;
  tokenizer: PreTrainedTokenizer;
  contextLength: number;
  endOfSequenceIds: ReadonlySet<number>;
  /** Set when our own decode loop can run the model. */
  decoderPlan: KvCacheDecoderPlan | undefined;
  /** The model's own repetition penalty (generation_config.json), used when a request sets none. */
  defaultRepetitionPenalty: number;
}

/** A seed for requests that give none: still a per-request generator, just not a reproducible one. */
function freshSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** The vocabulary's size from the config (a vision model's in its text config), else unbounded. */
function vocabularySize(target: GenerationTarget): number {
  const config = target.model.config as { vocab_size?: unknown; text_config?: { vocab_size?: unknown } };
  return Number(config.vocab_size ?? config.text_config?.vocab_size) || Number.POSITIVE_INFINITY;
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
    [
      'presencePenalty must be from −2 to 2',
      request.presencePenalty !== undefined && !(Math.abs(request.presencePenalty) <= 2),
    ],
    [
      'frequencyPenalty must be from −2 to 2',
      request.frequencyPenalty !== undefined && !(Math.abs(request.frequencyPenalty) <= 2),
    ],
    [
      'logprobs must be an integer from 0 to 20',
      request.logprobs !== undefined &&
        !(Number.isInteger(request.logprobs) && request.logprobs >= 0 && request.logprobs <= 20),
    ],
  ];
  for (const [message, failed] of problems) {
    if (failed) {
      throw new MmkitError(`invalid sampling setting: ${message}`, {
        code: 'invalid_sampling',
        param: message.split(' ')[0],
      });
    }
  }
}

async function decodeWithOwnLoop(
  target: GenerationTarget,
  plan: KvCacheDecoderPlan,
  prompt: PreparedPrompt,
  request: ChatRequest,
  maxNewTokens: number,
  seed: number,
  answer: AnswerBuilder,
  { json, recorder, bias }: LogitSteps,
): Promise<void> {
  const promptIds = Array.from((prompt.inputs.input_ids as Tensor).data as BigInt64Array, Number);
  const context = [...promptIds];
  const penalty = request.repetitionPenalty ?? target.defaultRepetitionPenalty;
  const uniform = request.temperature > 0 ? seededUniformSource(seed) : undefined;
  const settings = { temperature: request.temperature, topK: request.topK, topP: request.topP };
  const answerPenalty = AnswerTokenPenalty.of(request);
  await runKvCacheDecoder(plan, promptIds, maxNewTokens, {
    nextToken: (logits) => {
      applyRepetitionPenalty(logits, context, penalty);
      answerPenalty?.apply(logits);
      if (bias) applyLogitBias(logits, bias);
      recorder?.observe(logits);
      json?.mask(logits);
      return uniform ? sampleToken(logits, settings, uniform) : argmax(logits);
    },
    accept: (tokenId) => {
      context.push(tokenId);
      answerPenalty?.accept(tokenId);
      json?.accept(tokenId);
      answer.accept(tokenId, recorder?.chosen(tokenId));
      return !answer.done;
    },
  });
}

/** The constraint that holds the answer to JSON (JSON mode, a schema, a forced tool call), if any. */
function jsonConstraint(target: GenerationTarget, request: ChatRequest): JsonModeConstraint | undefined {
  const grammar = answerGrammar(request);
  if (!grammar) return undefined;
  return JsonModeConstraint.forTokenizer(target.tokenizer, target.endOfSequenceIds, request.temperature === 0, grammar);
}

export async function runGeneration(
  target: GenerationTarget,
  prompt: PreparedPrompt,
  request: ChatRequest,
  startedAt: number,
  onDelta: AnswerDelta,
): Promise<ChatResult> {
  checkSettings(request);
  const bias = logitBiasEntries(request.logitBias, vocabularySize(target));
  const json = jsonConstraint(target, request);
  const recorder =
    request.logprobs === undefined
      ? undefined
      : new TokenLogprobRecorder(tokenBytes(target.tokenizer), request.logprobs);
  const room = target.contextLength - prompt.promptTokens;
  if (room < 1) {
    throw new MmkitError(
      `the prompt is ${prompt.promptTokens} tokens, the model's context is ${target.contextLength}: shorten the conversation`,
      { code: 'context_length_exceeded', param: 'messages' },
    );
  }
  const answer = new AnswerBuilder(target.tokenizer, request, target.endOfSequenceIds, onDelta);
  const maxNewTokens = Math.min(request.maxNewTokens, room);
  const seed = request.seed ?? freshSeed();
  if (!request.signal?.aborted) {
    if (target.decoderPlan) {
      await decodeWithOwnLoop(target, target.decoderPlan, prompt, request, maxNewTokens, seed, answer, {
        json,
        recorder,
        bias,
      });
    } else {
      await generateWithTransformers(target.model, prompt.inputs, request, maxNewTokens, seed, answer, {
        json,
        recorder,
        bias,
      });
    }
  }
  return answer.finish(prompt.promptTokens, startedAt);
}
