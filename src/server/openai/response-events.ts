/**
 * A streamed Responses API answer as OpenAI sends it: `response.created`, `response.in_progress`,
 * the assistant message opened at its first text (`output_item.added`, `content_part.added`, then
 * `output_text.delta`s), closed at the end (`output_text.done`, `content_part.done`,
 * `output_item.done`), each tool call as an item with its arguments (streamed as the model writes
 * them where it streams them: the message closes when a call begins), and `response.completed` (or
 * `response.incomplete` at the token limit) carrying the whole response. A reasoning model's thinking
 * comes first as a reasoning item (`response.reasoning_text.delta`s). Every event has its
 * `sequence_number`; a failure is an `error` event with the next one.
 */
import type { ChatStreamPart, TokenLogprob, ToolCall } from '../../models/spec/index.ts';
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
  /** Whether the answer had a message item at all (a call may have closed the one that was open). */
  private hadMessage = false;
  /** The calls streamed so far, by their index among the answer's calls. */
  private readonly streamedCalls: { itemId: string; outputIndex: number; call: ToolCall }[] = [];
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
    this.hadMessage = true;
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

  private async closeMessage(status: 'completed' | 'incomplete'): Promise<void> {
    const message = this.message;
    if (!message) return;
    this.message = undefined;
    const part0 = outputText(message.text, message.logprobs);
    const location = { item_id: message.id, output_index: message.outputIndex, content_index: 0 };
    await this.emit('response.output_text.done', { ...location, text: message.text, logprobs: part0.logprobs });
    await this.emit('response.content_part.done', { ...location, part: part0 });
    const item = messageItem(message.id, status, [part0]);
    this.output[message.outputIndex] = item;
    await this.emit('response.output_item.done', { output_index: message.outputIndex, item });
  }

  /** A tool call begins: the text before it is a message of its own, the call an item after it. */
  async toolCallStart(id: string, name: string): Promise<void> {
    await this.closeReasoning();
    await this.closeMessage('completed');
    const outputIndex = this.output.length;
    const callItemId = itemId(this.identity, 'function_call', this.firstItemNumber + outputIndex);
    const call = { id, name, arguments: '' };
    this.streamedCalls.push({ itemId: callItemId, outputIndex, call });
    const item = functionCallItem(callItemId, call, 'in_progress');
    this.output.push(item);
    await this.emit('response.output_item.added', { output_index: outputIndex, item });
  }

  async toolCallArguments(index: number, delta: string): Promise<void> {
    const streamed = this.streamedCalls[index];
    if (!streamed || delta === '') return;
    streamed.call.arguments += delta;
    await this.emit('response.function_call_arguments.delta', {
      item_id: streamed.itemId,
      output_index: streamed.outputIndex,
      delta,
    });
  }

  /**
   * Closes the message (opening an empty one when the answer has neither text nor calls), ends the
   * streamed calls, sends the others whole, and returns the output items for the final response,
   * which `complete` then sends.
   */
  async finish(part: FinishPart): Promise<OutputItem[]> {
    await this.closeReasoning();
    const calls = part.toolCalls ?? [];
    if (!this.hadMessage && calls.length === 0) await this.openMessage();
    await this.closeMessage(part.finishReason === 'length' ? 'incomplete' : 'completed');
    const streamedIds = new Set(this.streamedCalls.map((streamed) => streamed.call.id));
    for (const streamed of this.streamedCalls) {
      // The finish's own copy: the same arguments as streamed, where the model's parse agrees.
      const call = calls.find((each) => each.id === streamed.call.id) ?? streamed.call;
      const location = { item_id: streamed.itemId, output_index: streamed.outputIndex };
      await this.emit('response.function_call_arguments.done', {
        ...location,
        name: call.name,
        arguments: call.arguments,
      });
      const item = functionCallItem(streamed.itemId, call);
      this.output[streamed.outputIndex] = item;
      await this.emit('response.output_item.done', { output_index: streamed.outputIndex, item });
    }
    for (const call of calls.filter((each) => !streamedIds.has(each.id))) {
      const outputIndex = this.output.length;
      const id = itemId(this.identity, 'function_call', this.firstItemNumber + outputIndex);
      await this.emit('response.output_item.added', {
        output_index: outputIndex,
        item: functionCallItem(id, call, 'in_progress'),
      });
      // A call not streamed comes whole at the end: its arguments as one delta.
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
