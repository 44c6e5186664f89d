/**
 * Log probabilities of a prompt's own tokens, each given the tokens before it: one run over the
 * prompt with the model's raw distribution (no penalty or temperature). What evaluation harnesses
 * (lm-evaluation-harness and the like) score a continuation by, through `/v1/completions` with
 * `echo` and `logprobs`.
 */
import { MmkitError } from '../../../errors.ts';
import type { PromptTokenLogprob } from '../../spec/index.ts';
import type { GenerationTarget } from './generation-run.ts';
import { visitPromptLogits } from './kv-cache-decoder.ts';
import { tokenBytes } from './token-bytes.ts';
import { TokenLogprobRecorder } from './token-logprobs.ts';

export async function promptLogprobs(
  target: GenerationTarget,
  promptIds: readonly number[],
  topCount: number,
  modelId: string,
): Promise<PromptTokenLogprob[]> {
  if (!target.decoderPlan) {
    throw new MmkitError(
      `${modelId}: prompt log probabilities need a decoder-only model with the standard cache layout; this one generates through Transformers.js`,
      { code: 'prompt_logprobs_unsupported', param: 'logprobs', type: 'unsupported_error', status: 400 },
    );
  }
  const recorder = new TokenLogprobRecorder(tokenBytes(target.tokenizer), topCount);
  const scored: PromptTokenLogprob[] = [{ ...recorder.unscored(promptIds[0]!), logprob: null, top: null }];
  await visitPromptLogits(target.decoderPlan, promptIds, (position, logits) => {
    const next = promptIds[position + 1];
    if (next === undefined) return;
    recorder.observe(logits);
    scored.push(recorder.chosen(next));
  });
  return scored;
}
