/**
 * A streamed Responses API answer as OpenAI sends it: `response.created`, `response.in_progress`,
 * the assistant message opened at its first text (`output_item.added`, `content_part.added`, then
 * `output_text.delta`s), closed at the end (`output_text.done`, `content_part.done`,
 * `output_item.done`), each tool call as an item with its arguments, and `response.completed` (or
 * `response.incomplete` at the token limit) carrying the whole response. A reasoning model's thinking
 * comes first as a reasoning item (`response.reasoning_text.delta`s). Every event has its
 * `sequence_number`; a failure is an `error` event with the next one.
 */
import type { ChatStreamPart, TokenLogprob } from '../../models/spec/index.ts';
import type { ErrorBody } from '../http-errors.ts';
import {
  functionCallItem,
  itemId,
  messageItem,
  type OutputItem,
  outputText,
  type ResponseIdentity,
  type ResponseObject,
  reasoningItem,
  reasoningText,
  responsesLogprobs,
} from './response-object.ts';
import type { SendEvent } from './stream-answer.ts';

type FinishPart = Extract<ChatStreamPart, { type: 'finish' }>;

export class ResponseEventWriter {
  private sequence = 0;
  private message: { id: string; outputIndex: number; text: string; logprobs: TokenLogprob[] } | undefined;
  private reasoning: { id: string; outputIndex: number; text: string; open: boolean } | undefined;
  private readonly output: OutputItem[] = [];

  constructor(
    private readonly send: SendEvent,
    private readonly identity: ResponseIdentity,
    /** The number the first output item's id takes (after the input's items). */
    private readonly firstItemNumber: number,
  ) {}

  private emit(type: string, fields: Record<string, unknown>): Promise<void> {
    return this.send({ type, sequence_number: this.sequence++, ...fields }, type);
  }

  /** `response.created` and `response.in_progress`, with the response as it starts. */
  async start(response: ResponseObject): Promise<void> {
    await this.emit('response.created', { response });
    await this.emit('response.in_progress', { response });
  }

  /** A piece of a reasoning model's thinking: its own item, before the message. */
  async reasoningText(delta: string): Promise<void> {
    if (delta === '') return;
    if (!this.reasoning) {
      const outputIndex = this.output.length;
      const id = itemId(this.identity, 'reasoning', this.firstItemNumber + outputIndex);
      this.reasoning = { id, outputIndex, text: '', open: true };
      const item = reasoningItem(id, 'in_progress', undefined);
      this.output.push(item);
      await this.emit('response.output_item.added', { output_index: outputIndex, item });
      await this.emit('response.content_part.added', {
        item_id: id,
        output_index: outputIndex,
        content_index: 0,
        part: reasoningText(''),
      });
    }
    this.reasoning.text += delta;
    await this.emit('response.reasoning_text.delta', {
      item_id: this.reasoning.id,
      output_index: this.reasoning.outputIndex,
      content_index: 0,
      delta,
    });
  }

  /** Ends the reasoning item, once the answer begins (or the response ends). */
  private async closeReasoning(): Promise<void> {
    const reasoning = this.reasoning;
    if (!reasoning?.open) return;
    reasoning.open = false;
    const location = { item_id: reasoning.id, output_index: reasoning.outputIndex, content_index: 0 };
    await this.emit('response.reasoning_text.done', { ...location, text: reasoning.text });
    await this.emit('response.content_part.done', { ...location, part: reasoningText(reasoning.text) });
    const item = reasoningItem(reasoning.id, 'completed', reasoning.text);
    this.output[reasoning.outputIndex] = item;
    await this.emit('response.output_item.done', { output_index: reasoning.outputIndex, item });
  }

  async text(delta: string, logprobs: TokenLogprob[] | undefined): Promise<void> {
    if (delta === '') return;
    const message = await this.openMessage();
    message.text += delta;
    if (logprobs) message.logprobs.push(...logprobs);
    await this.emit('response.output_text.delta', {
      item_id: message.id,
      output_index: message.outputIndex,
      content_index: 0,
      delta,
      logprobs: responsesLogprobs(logprobs),
    });
  }

  private async openMessage(): Promise<NonNullable<ResponseEventWriter['message']>> {
    if (this.message) return this.message;
    await this.closeReasoning();
    const id = itemId(this.identity, 'message', this.firstItemNumber + this.output.length);
    this.message = { id, outputIndex: this.output.length, text: '', logprobs: [] };
    const item = messageItem(id, 'in_progress', []);
    this.output.push(item);
    await this.emit('response.output_item.added', { output_index: this.message.outputIndex, item });
    await this.emit('response.content_part.added', {
      item_id: id,
      output_index: this.message.outputIndex,
      content_index: 0,
      part: outputText(''),
    });
    return this.message;
  }

  /**
   * Closes the message (opening an empty one when the answer has neither text nor calls), sends the
   * tool calls, and returns the output items for the final response, which `complete` then sends.
   */
  async finish(part: FinishPart): Promise<OutputItem[]> {
    await this.closeReasoning();
    const calls = part.toolCalls ?? [];
    if (this.message || calls.length === 0) {
      const message = await this.openMessage();
      const part0 = outputText(message.text, message.logprobs);
      const location = { item_id: message.id, output_index: message.outputIndex, content_index: 0 };
      await this.emit('response.output_text.done', { ...location, text: message.text, logprobs: part0.logprobs });
      await this.emit('response.content_part.done', { ...location, part: part0 });
      const item = messageItem(message.id, part.finishReason === 'length' ? 'incomplete' : 'completed', [part0]);
      this.output[message.outputIndex] = item;
      await this.emit('response.output_item.done', { output_index: message.outputIndex, item });
    }
    for (const call of calls) {
      const outputIndex = this.output.length;
      const id = itemId(this.identity, 'function_call', this.firstItemNumber + outputIndex);
      await this.emit('response.output_item.added', {
        output_index: outputIndex,
        item: functionCallItem(id, call, 'in_progress'),
      });
      // Local models give a call whole at the end: its arguments come as one delta.
      await this.emit('response.function_call_arguments.delta', {
        item_id: id,
        output_index: outputIndex,
        delta: call.arguments,
      });
      await this.emit('response.function_call_arguments.done', {
        item_id: id,
        output_index: outputIndex,
        name: call.name,
        arguments: call.arguments,
      });
      const item = functionCallItem(id, call);
      this.output.push(item);
      await this.emit('response.output_item.done', { output_index: outputIndex, item });
    }
    return this.output;
  }

  /** `response.completed`, or `response.incomplete` when the answer hit the token limit. */
  async complete(response: ResponseObject): Promise<void> {
    await this.emit(response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response });
  }

  /** The `error` event a failure after the start becomes. */
  failure(body: ErrorBody): { data: unknown; event: string } {
    const { message, code, param } = body.error;
    return { event: 'error', data: { type: 'error', sequence_number: this.sequence++, code, message, param } };
  }
}
