/**
 * The seed's `multimodal_qa(image, question)` for `/qa`, with the seed's settings (200 new tokens,
 * temperature 0.3, top_p 0.9, the answer after `ASSISTANT:`). A stand-in: when the `vqa` task
 * (`src/tasks/vqa/`) lands, this file becomes a call to it and nothing else in the server changes.
 */
import type { ChatModel } from '../../models/spec/index.ts';

export interface ImageQuestion {
  model: ChatModel;
  image: Uint8Array;
  mediaType: string;
  question: string;
  signal?: AbortSignal;
}

export const SEED_QA_SETTINGS = { maxNewTokens: 200, temperature: 0.3, topP: 0.9 } as const;

export async function answerImageQuestion(request: ImageQuestion): Promise<string> {
  const result = await request.model.generate({
    ...SEED_QA_SETTINGS,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image', data: request.image, mediaType: request.mediaType },
          { type: 'text', text: request.question },
        ],
      },
    ],
    ...(request.signal ? { signal: request.signal } : {}),
  });
  const marker = result.text.lastIndexOf('ASSISTANT:');
  return (marker >= 0 ? result.text.slice(marker + 'ASSISTANT:'.length) : result.text).trim();
}
