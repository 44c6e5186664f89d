/**
 * Generation loop overhead: tokens/s of the onnx provider's chat path (`OnnxChatModel.generate`,
 * greedy) against a bare `InferenceSession.run` greedy loop (`testkit/decode-loop.ts`) on the same
 * tiny decoder (the testkit echo model) and the same prompt, in the same run, interleaved so both
 * see the same machine state. Goal: ≥ 0.95 of the bare loop's throughput.
 *
 * The echo model makes the work identical: both paths generate the message byte for byte, then the
 * end token, and the benchmark checks that they did before it reports anything. A second row
 * measures the same chat path forced onto Transformers.js's `generate()` (the loop vision-language
 * models use), for reference, and a third JSON mode's cost: the same answer (a JSON object) with and
 * without the mask.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { OnnxChatModel } from '../src/models/providers/onnx/onnx-chat-model.ts';
import type { ChatRequest } from '../src/models/spec/index.ts';
import { buildTinyModel } from '../testkit/build.ts';
import { byteTokenIds } from '../testkit/byte-tokenizer.ts';
import { greedyDecode } from '../testkit/decode-loop.ts';
import { LLM_SPECIAL_TOKENS } from '../testkit/llm.ts';
import type { BenchmarkRow } from './report.ts';

const { user, assistant, end } = LLM_SPECIAL_TOKENS;
const NEWLINE = 10;
/** 120 characters, 172 UTF-8 bytes: 173 generated tokens per run, well inside the 512 positions. */
const MESSAGE = 'The quick brown fox jumps over the lazy dog; 敏捷的棕色狐狸跳过了懒狗。'.repeat(4).slice(0, 120);
const RUNS = 15;
/** A JSON object the echo model repeats: JSON mode's mask runs every step but changes nothing. */
const JSON_MESSAGE = JSON.stringify({ text: MESSAGE.slice(0, 60), n: [1, 2.5, -3e2], ok: true });
/** A schema JSON_MESSAGE matches, with the keywords structured outputs use most. */
const JSON_MESSAGE_SCHEMA = {
  type: 'object',
  properties: {
    text: { type: 'string', maxLength: 80 },
    n: { type: 'array', items: { type: 'number' }, maxItems: 5 },
    ok: { type: 'boolean' },
    note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
  },
  required: ['text', 'n', 'ok'],
  additionalProperties: false,
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function run(): Promise<BenchmarkRow[]> {
  const directory = await mkdtemp(join(tmpdir(), 'mmkit-bench-generation-'));
  try {
    await buildTinyModel('llm', directory);
    const model = await OnnxChatModel.load(directory);
    const libraryLoop = await OnnxChatModel.load(directory, { generationLoop: 'transformers' });
    const session = await InferenceSession.create(join(directory, 'onnx', 'model.onnx'));
    const request: ChatRequest = {
      messages: [{ role: 'user', content: MESSAGE }],
      maxNewTokens: 400,
      temperature: 0,
      topP: 1,
    };
    const promptIds = [user.id, NEWLINE, ...byteTokenIds(MESSAGE), end.id, NEWLINE, assistant.id, NEWLINE];
    const expectedTokens = byteTokenIds(MESSAGE).length + 1;
    const loopOptions = { maxNewTokens: 400, eosTokenId: end.id, numHeads: 2, headDim: 16 };

    const ours: number[] = [];
    const bare: number[] = [];
    const library: number[] = [];
    const plainObject: number[] = [];
    const jsonMode: number[] = [];
    const jsonSchema: number[] = [];
    const timeChat = async (chat: OnnxChatModel, message = MESSAGE, settings: Partial<ChatRequest> = {}) => {
      const start = performance.now();
      const result = await chat.generate({ ...request, ...settings, messages: [{ role: 'user', content: message }] });
      const elapsed = performance.now() - start;
      const tokens = byteTokenIds(message).length + 1;
      if (result.text !== message || result.usage.completionTokens !== tokens) {
        throw new Error(`chat path generated something else: ${JSON.stringify(result.text)}`);
      }
      return (tokens / elapsed) * 1000;
    };
    for (let round = -2; round < RUNS; round++) {
      const oursRate = await timeChat(model);
      const start = performance.now();
      const tokens = await greedyDecode(session, promptIds, loopOptions);
      const bareMs = performance.now() - start;
      if (tokens.length !== expectedTokens) throw new Error(`bare loop generated ${tokens.length} tokens`);
      const libraryRate = await timeChat(libraryLoop);
      // JSON mode on an answer that is JSON already: the same tokens, plus the mask each step.
      const plainObjectRate = await timeChat(model, JSON_MESSAGE);
      const jsonModeRate = await timeChat(model, JSON_MESSAGE, { responseFormat: { type: 'json' } });
      const jsonSchemaRate = await timeChat(model, JSON_MESSAGE, {
        responseFormat: { type: 'json', schema: JSON_MESSAGE_SCHEMA },
      });
      // The first two rounds warm every path up.
      if (round >= 0) {
        ours.push(oursRate);
        bare.push((expectedTokens / bareMs) * 1000);
        library.push(libraryRate);
        plainObject.push(plainObjectRate);
        jsonMode.push(jsonModeRate);
        jsonSchema.push(jsonSchemaRate);
      }
    }
    await model.dispose();
    await libraryLoop.dispose();
    await session.release();
    return [
      {
        name: `greedy chat generation, tiny decoder (${expectedTokens} tokens, prompt ${promptIds.length})`,
        ours: median(ours),
        anchor: median(bare),
        unit: 'tokens/s',
        anchorName: 'bare InferenceSession.run loop',
        better: 'higher',
        goal: 0.95,
      },
      {
        name: "  the same chat path on Transformers.js's generate() (vision-language models' loop)",
        ours: median(library),
        anchor: median(bare),
        unit: 'tokens/s',
        anchorName: 'bare InferenceSession.run loop',
        better: 'higher',
      },
      {
        name: `JSON mode (response_format json_object), the chat path answering a JSON object (${byteTokenIds(JSON_MESSAGE).length + 1} tokens)`,
        ours: median(jsonMode),
        anchor: median(plainObject),
        unit: 'tokens/s',
        anchorName: 'the same answer unconstrained',
        better: 'higher',
      },
      {
        name: '  structured outputs (response_format json_schema), the same answer held to a schema',
        ours: median(jsonSchema),
        anchor: median(plainObject),
        unit: 'tokens/s',
        anchorName: 'the same answer unconstrained',
        better: 'higher',
      },
    ];
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
