import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerStatus } from '../../models/runner/runner-spec.ts';
import { runCli } from '../test-support/run-cli.ts';
import { humanDuration } from './models-ps.ts';

const LOADED: RunnerStatus[] = [
  {
    key: 'onnx:HuggingFaceTB/SmolVLM-256M-Instruct',
    capability: 'chat',
    pid: 4242,
    rssBytes: 812_300_000,
    state: 'idle',
    running: 0,
    queueLength: 0,
    idleMs: 65_000,
    expiresInMs: 235_000,
    loadedAt: '2025-01-01T00:00:00.000Z',
  },
  {
    key: 'onnx:onnx-community/whisper-base',
    capability: 'transcription',
    pid: 4243,
    rssBytes: 301_000_000,
    state: 'busy',
    running: 1,
    queueLength: 2,
    idleMs: 0,
    expiresInMs: null,
    loadedAt: '2025-01-01T00:01:00.000Z',
  },
];

/** What `mmkit serve` sends for a status: docs/http-api.md's snake_case fields. */
function onTheWire(status: RunnerStatus) {
  return {
    key: status.key,
    capability: status.capability,
    pid: status.pid,
    rss_bytes: status.rssBytes,
    state: status.state,
    running: status.running,
    queue: status.queueLength,
    idle_ms: status.idleMs,
    expires_in_ms: status.expiresInMs,
    loaded_at: status.loadedAt,
  };
}
const WIRE_BODY = JSON.stringify({ models: LOADED.map(onTheWire) });

/** A stand-in for `mmkit serve`: answers GET /api/ps with whatever the test sets. */
let answer: { status: number; body: string } = { status: 200, body: WIRE_BODY };
let server: Server;
let url: string;
let closedUrl: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url !== '/api/ps') return response.writeHead(404).end();
    response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A port nothing listens on: open one, note it, close it.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((resolve) => probe.close(resolve));
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('mmkit models ps', () => {
  it('shows the server’s loaded models as a table: memory, state, queue, idle time and expiry', async () => {
    answer = { status: 200, body: WIRE_BODY };
    const result = await runCli(['models', 'ps', '--url', `${url}/`]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^KEY\s+CAPABILITY\s+PID\s+MEMORY\s+STATE\s+QUEUE\s+IDLE\s+EXPIRES$/);
    expect(lines[1]).toMatch(
      /^onnx:HuggingFaceTB\/SmolVLM-256M-Instruct\s+chat\s+4242\s+812\.3 MB\s+idle\s+0\s+1m 5s\s+in 3m 55s$/,
    );
    expect(lines[2]).toMatch(
      /^onnx:onnx-community\/whisper-base\s+transcription\s+4243\s+301\.0 MB\s+busy\s+2\s+-\s+-$/,
    );
  });

  it('--json prints the list; MMKIT_SERVER names the server', async () => {
    const result = await runCli(['models', 'ps', '--json'], { env: { MMKIT_SERVER: url } });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(LOADED);
  });

  it('says so when nothing is loaded', async () => {
    answer = { status: 200, body: JSON.stringify({ models: [] }) };
    const result = await runCli(['models', 'ps', '--url', url]);
    expect(result.stdout).toBe(`no models loaded on the mmkit server at ${url}\n`);
  });

  it('one-line errors: no server there, a server error, an unexpected answer, a bad URL', async () => {
    const missing = await runCli(['models', 'ps'], { env: { MMKIT_SERVER: closedUrl } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `mmkit: no mmkit server running at ${closedUrl}: start one with mmkit serve, or point --url or MMKIT_SERVER at it\n`,
    );
    answer = { status: 500, body: '{}' };
    const failing = await runCli(['models', 'ps', '--url', url]);
    expect(failing.stderr).toBe(`mmkit: the mmkit server at ${url} answered HTTP 500 to GET /api/ps\n`);
    answer = { status: 200, body: JSON.stringify({ loaded: [] }) };
    const odd = await runCli(['models', 'ps', '--url', url]);
    expect(odd.stderr).toMatch(
      /^mmkit: the server at http:\/\/127\.0\.0\.1:\d+ sent an unexpected \/api\/ps answer: [^\n]+\n$/,
    );
    const bad = await runCli(['models', 'ps', '--url', 'ftp://host']);
    expect(bad.stderr).toBe("mmkit: --url must be an http:// or https:// address, got 'ftp://host'\n");
  });

  it('formats durations compactly', () => {
    expect([humanDuration(950), humanDuration(42_400), humanDuration(185_000), humanDuration(7_860_000)]).toEqual([
      '950ms',
      '42s',
      '3m 5s',
      '2h 11m',
    ]);
  });
});
