/**
 * `EmbeddingModel` over `POST {baseURL}/embeddings`, texts only (the OpenAI API has no image input
 * for embeddings). Vectors come as JSON floats or, with `encoding_format: base64`, as base64 of
 * little-endian float32 — a quarter of the bytes.
 */
import { MmkitError } from '../../../errors.ts';
import type { CallOptions, EmbeddingModel, EmbeddingResult, ModelDescription } from '../../spec/index.ts';
import { type OpenAiConnection, postJson } from './http-client.ts';
import type { ResolvedOpenAiEmbeddingOptions } from './options.ts';
import { embeddingsSchema, parseWire } from './wire-schemas.ts';

export class OpenAiEmbeddingModel implements EmbeddingModel {
  readonly description: ModelDescription;
  private knownDimensions: number | undefined;

  constructor(
    private readonly connection: OpenAiConnection,
    readonly modelName: string,
    private readonly options: ResolvedOpenAiEmbeddingOptions,
    id: string,
  ) {
    this.description = { id, provider: 'openai' };
    this.knownDimensions = options.dimensions;
  }

  /** From the options, else from the first answer; 0 until then. */
  get dimensions(): number {
    return this.knownDimensions ?? 0;
  }

  async embedTexts(texts: string[], options: CallOptions = {}): Promise<EmbeddingResult> {
    const embeddings: Float32Array[] = [];
    let tokens = 0;
    for (let start = 0; start < texts.length; start += this.options.maxTextsPerRequest) {
      const batch = texts.slice(start, start + this.options.maxTextsPerRequest);
      const result = await this.embedBatch(batch, options.signal);
      embeddings.push(...result.embeddings);
      tokens += result.tokens;
    }
    return { embeddings, usage: { tokens } };
  }

  private async embedBatch(
    texts: string[],
    signal: AbortSignal | undefined,
  ): Promise<{ embeddings: Float32Array[]; tokens: number }> {
    const body: Record<string, unknown> = {
      model: this.modelName,
      input: texts,
      encoding_format: this.options.encodingFormat,
    };
    if (this.options.sendDimensions && this.options.dimensions !== undefined) body.dimensions = this.options.dimensions;
    const { value, url } = await postJson(
      this.connection,
      '/embeddings',
      { json: body },
      { model: this.modelName, signal },
    );
    const answer = parseWire(embeddingsSchema, value, url);
    const fail = (reason: string) =>
      new MmkitError(`${url}: ${reason}`, { code: 'provider_bad_response', type: 'runtime_error', status: 502 });
    if (answer.data.length !== texts.length)
      throw fail(`sent ${texts.length} texts, got ${answer.data.length} vectors`);
    // Servers may answer out of order; `index` says which input each vector belongs to.
    const embeddings = new Array<Float32Array>(texts.length);
    for (const [position, item] of answer.data.entries()) {
      const index = item.index ?? position;
      if (index < 0 || index >= texts.length || embeddings[index]) throw fail(`bad or repeated index ${index}`);
      const vector = typeof item.embedding === 'string' ? decodeBase64Floats(item.embedding, fail) : item.embedding;
      this.knownDimensions ??= vector.length;
      if (vector.length !== this.knownDimensions) {
        throw fail(`vector ${index} has ${vector.length} dimensions, expected ${this.knownDimensions}`);
      }
      embeddings[index] = Float32Array.from(vector);
    }
    return { embeddings, tokens: answer.usage?.prompt_tokens ?? answer.usage?.total_tokens ?? 0 };
  }
}

/** base64 of little-endian float32s, whatever this machine's byte order. */
export function decodeBase64Floats(encoded: string, fail: (reason: string) => Error): Float32Array {
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length % 4 !== 0) throw fail(`base64 embedding of ${bytes.length} bytes is not whole float32s`);
  const vector = new Float32Array(bytes.length / 4);
  for (let index = 0; index < vector.length; index++) vector[index] = bytes.readFloatLE(index * 4);
  return vector;
}
