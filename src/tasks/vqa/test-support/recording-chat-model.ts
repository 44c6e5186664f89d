/**
 * A `ChatModel` that passes every call to a real one and keeps what went in and came out, so a test
 * can check the messages the model saw (the image part, the OCR text, earlier turns) and what the
 * provider itself reported (finish reason, token counts) even when the task turns it into an error.
 */
import type {
  ChatModel,
  ChatRequest,
  ChatResult,
  ChatStreamPart,
  ModelDescription,
} from '../../../models/spec/index.ts';

export interface RecordedCall {
  request: ChatRequest;
  /** The provider's own ending: a `generate` result, or a stream's finish part. */
  finish?: { finishReason: string; usage: ChatResult['usage'] };
}

export class RecordingChatModel implements ChatModel {
  readonly calls: RecordedCall[] = [];

  constructor(private readonly inner: ChatModel) {}

  get description(): ModelDescription {
    return this.inner.description;
  }
  get acceptsImages(): boolean {
    return this.inner.acceptsImages;
  }
  get contextLength(): number {
    return this.inner.contextLength;
  }

  /** The user texts of the last call, in order. */
  lastUserTexts(): string[] {
    const messages = this.calls.at(-1)?.request.messages ?? [];
    return messages
      .filter((message) => message.role === 'user')
      .map((message) =>
        typeof message.content === 'string'
          ? message.content
          : message.content.map((part) => (part.type === 'text' ? part.text : '')).join(''),
      );
  }

  async generate(request: ChatRequest): Promise<ChatResult> {
    const call: RecordedCall = { request };
    this.calls.push(call);
    const result = await this.inner.generate(request);
    call.finish = { finishReason: result.finishReason, usage: result.usage };
    return result;
  }

  async *stream(request: ChatRequest): AsyncIterable<ChatStreamPart> {
    const call: RecordedCall = { request };
    this.calls.push(call);
    for await (const part of this.inner.stream(request)) {
      if (part.type === 'finish') call.finish = { finishReason: part.finishReason, usage: part.usage };
      yield part;
    }
  }
}
