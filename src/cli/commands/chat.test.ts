import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../testkit/build.ts';
import { type OpenAiTestServer, startOpenAiTestServer } from '../../../testkit/openai-server.ts';
import { DEFAULT_SYSTEM_PROMPTS } from '../../tasks/chat/system-prompt.ts';
import { runCli } from '../test-support/run-cli.ts';

describe('mmkit chat', () => {
  let root: string;
  let llm: string;
  let server: OpenAiTestServer;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-chat-cli-'));
    llm = join(root, 'llm');
    env = { MMKIT_HOME: join(root, 'home'), MMKIT_OFFLINE: '1' };
    server = await startOpenAiTestServer();
    await buildTinyModel('llm', llm);
  });
  afterAll(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  it('prints the answer as JSON with the model, language and usage', async () => {
    const result = await runCli(['chat', '今天天气怎么样？', '--model', llm, '--json', '--seed', '3'], { env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      text: '今天天气怎么样？',
      finishReason: 'stop',
      language: 'zh',
      model: `onnx:${llm}`,
      usage: { completionTokens: Buffer.byteLength('今天天气怎么样？') + 1 },
    });
    expect(report.timings.totalMs).toBeGreaterThan(0);
  });

  it("reports a reasoning model's thinking apart from the answer, as JSON and as plain text", async () => {
    // The echo model writes back a thinking block and an answer, as a reasoning model would.
    const message = '<think>a short plan</think>\n\nThe answer.';
    const json = await runCli(['chat', message, '--model', llm, '--json'], { env });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ text: 'The answer.', reasoning: 'a short plan' });
    const plain = await runCli(['chat', message, '--model', llm], { env });
    expect(plain.stdout).toBe('The answer.\n');
  });

  it('sends the default instruction in the user’s language, or the one given with --system', async () => {
    const model = `openai:echo@${server.baseURL}`;
    const chinese = await runCli(['chat', '你好', '--model', model, '--temperature', '0', '--top-p', '0.5'], { env });
    expect(chinese.stdout).toBe('你好\n');
    const sent = server.requests.at(-1)!.json!;
    expect(sent.messages).toEqual([
      { role: 'system', content: DEFAULT_SYSTEM_PROMPTS.zh },
      { role: 'user', content: '你好' },
    ]);
    expect(sent).toMatchObject({ temperature: 0, top_p: 0.5, max_tokens: 150 });
    await runCli(['chat', 'hi', '--model', model, '--system', 'Be terse.'], { env });
    expect(server.requests.at(-1)!.json!.messages[0]).toEqual({ role: 'system', content: 'Be terse.' });
  });

  it('prints just the answer without --json, with the model from --config and --max-new-tokens', async () => {
    const config = join(root, 'config.json');
    await writeFile(config, JSON.stringify({ defaults: { chat: llm } }));
    const result = await runCli(['chat', 'hello there', '--config', config, '--max-new-tokens', '5'], { env });
    expect(result).toMatchObject({ code: 0, stdout: 'hello\n', stderr: '' });
  });

  it('answers with JSON that matches --schema, and refuses a schema it cannot read or hold to', async () => {
    const schemaFile = join(root, 'weather.json');
    const schema = {
      type: 'object',
      properties: { city: { type: 'string', maxLength: 12 }, rain: { type: 'boolean' } },
      required: ['city', 'rain'],
      additionalProperties: false,
    };
    await writeFile(schemaFile, JSON.stringify(schema));
    const result = await runCli(
      ['chat', 'Will it rain in Oslo?', '--model', llm, '--schema', schemaFile, '--json', '--seed', '2'],
      {
        env,
      },
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(result.stdout);
    expect(report.finishReason).toBe('stop');
    const answer = JSON.parse(report.text);
    expect(Object.keys(answer).sort()).toEqual(['city', 'rain']);
    expect(typeof answer.rain).toBe('boolean');
    expect(answer.city.length).toBeLessThanOrEqual(12);
    const upstream = await runCli(
      ['chat', '{"city": "Oslo", "rain": true}', '--model', `openai:echo@${server.baseURL}`, '--schema', schemaFile],
      { env },
    );
    expect(upstream.code).toBe(0);
    expect(server.requests.at(-1)!.json!.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'answer', schema, strict: true },
    });
    const broken = join(root, 'broken.json');
    await writeFile(broken, '{"type": ');
    const unreadable = await runCli(['chat', 'hi', '--model', llm, '--schema', broken], { env });
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toMatch(/^mmkit: --schema .*broken\.json: .*JSON.*\n$/);
    const tuple = join(root, 'tuple.json');
    await writeFile(tuple, JSON.stringify({ type: 'array', items: [{ type: 'string' }] }));
    const unsupported = await runCli(['chat', 'hi', '--model', llm, '--schema', tuple], { env });
    expect(unsupported).toMatchObject({
      code: 1,
      stderr: 'mmkit: response_format: unsupported JSON schema at #/items: items as a list (tuples) is not supported\n',
    });
  });

  it('fails with one line on bad options, a missing model or config', async () => {
    const badTemperature = await runCli(['chat', 'hi', '--model', llm, '--temperature', 'warm'], { env });
    expect(badTemperature.code).toBe(2);
    expect(badTemperature.stderr).toBe(
      "mmkit: option '--temperature <t>' argument 'warm' is invalid. --temperature must be a number ≥ 0 and ≤ 2, got 'warm'\n",
    );
    const missing = await runCli(['chat', 'hi', '--model', join(root, 'absent')], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^mmkit: .*absent.*\n$/);
    const noConfig = await runCli(['chat', 'hi', '--config', join(root, 'none.json')], { env });
    expect(noConfig.code).toBe(1);
    expect(noConfig.stderr).toMatch(/^mmkit: config file .*none\.json: cannot read/);
  });
});
