import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../testkit/build.ts';
import { binPath, runCli } from '../test-support/run-cli.ts';

/** Pids whose parent is `pid`, from /proc (Linux). */
async function childProcessesOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name (which may hold spaces) start with state, then the parent pid.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parent === pid) children.push(Number(entry));
  }
  return children;
}

/** `mmkit serve ARGS` started from the build, once it prints the URL it listens on. */
async function startServe(args: string[], home: string, nodeFlags: string[] = []) {
  const child = spawn(process.execPath, [...nodeFlags, binPath, 'serve', ...args], {
    env: { ...process.env, MMKIT_HOME: home, MMKIT_OFFLINE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output.stdout += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output.stdout);
      if (match) resolve(match[1]!);
    });
    child.on('close', () => reject(new Error(`exited early: ${output.stderr}`)));
  });
  return { child, url, exited, output };
}

describe('mmkit serve', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-serve-cli-'));
    await buildTinyModel('llm', join(root, 'llm'));
    await writeFile(
      join(root, 'config.json'),
      JSON.stringify({ defaults: { chat: 'echo' }, models: { echo: { id: join(root, 'llm') } } }),
    );
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('prints its URL, serves, and stops cleanly on SIGTERM', async () => {
    const dataDir = join(root, 'data');
    const { child, url, exited, output } = await startServe(
      [
        '--port',
        '0',
        '--config',
        join(root, 'config.json'),
        '--data-dir',
        dataDir,
        '--api-key',
        'k1',
        '--keep-alive',
        '10m',
        '--max-loaded-models',
        '2',
      ],
      join(root, 'home'),
    );
    try {
      expect((await fetch(`${url}/health`)).status).toBe(200);
      const unauthorised = await fetch(`${url}/v1/models`);
      expect(unauthorised.status).toBe(401);
      const answer = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer k1' },
        body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'from the cli' }], temperature: 0 }),
      });
      expect(
        ((await answer.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content,
      ).toBe('from the cli');
      // Raw text continuation crosses the runner too (the echo model repeats the last letter).
      const continued = await fetch(`${url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer k1' },
        body: JSON.stringify({ model: 'echo', prompt: 'hello there', max_tokens: 5, temperature: 0 }),
      });
      expect(await continued.json()).toMatchObject({ choices: [{ text: 'eeeee', finish_reason: 'length' }] });
      const scored = await fetch(`${url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer k1' },
        body: JSON.stringify({ model: 'echo', prompt: 'hi', max_tokens: 0, echo: true, logprobs: 1 }),
      });
      expect(await scored.json()).toMatchObject({
        choices: [{ text: 'hi', logprobs: { tokens: ['h', 'i'], token_logprobs: [null, expect.any(Number)] } }],
      });
      // `mmkit serve` runs itself again with its Node flags (a larger young generation)…
      const [server] = await childProcessesOf(child.pid!);
      expect((await readFile(`/proc/${server}/cmdline`, 'utf8')).split('\0')).toContain('--max-semi-space-size=64');
      // …and the model answered from a runner: a child process of the server, kept for its keep-alive.
      expect(await childProcessesOf(server!)).toHaveLength(1);
      expect((await readdir(dataDir)).sort()).toEqual(['outputs', 'uploads']);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output.stdout).toMatch(/mmkit serve: stopped/);
    expect(output.stderr).toMatch(/SIGTERM/);
  });

  it('scales out with --workers: processes share one port, a killed one is replaced, SIGTERM stops them all', async () => {
    const { child, url, exited, output } = await startServe(
      ['--workers', '2', '--port', '0', '--config', join(root, 'config.json'), '--runners', 'off'],
      join(root, 'home-workers'),
    );
    expect(output.stdout).toMatch(/\(2 workers\)/);
    const ask = async (content: string) => {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content }], temperature: 0 }),
      });
      return ((await response.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content;
    };
    // The primary runs under the process started (with the server's Node flags), the workers under it.
    const [primary] = await childProcessesOf(child.pid!);
    try {
      const workers = await childProcessesOf(primary!);
      expect(workers).toHaveLength(2);
      for (const index of [1, 2, 3, 4]) expect(await ask(`turn ${index}`)).toBe(`turn ${index}`);
      // Stored responses are files: each worker goes on from what another one stored.
      let previous: string | undefined;
      for (const turn of [1, 2, 3, 4]) {
        const response = await fetch(`${url}/v1/responses`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'echo',
            input: `turn ${turn}`,
            temperature: 0,
            previous_response_id: previous,
          }),
        });
        const answer = (await response.json()) as {
          id: string;
          status: string;
          output: { content: { text: string }[] }[];
        };
        expect(answer).toMatchObject({ status: 'completed', output: [{ content: [{ text: `turn ${turn}` }] }] });
        previous = answer.id;
      }
      process.kill(workers[0]!, 'SIGKILL');
      // The primary starts another in its place; the server answers throughout.
      for (let waited = 0; waited < 100; waited++) {
        const now = await childProcessesOf(primary!);
        if (now.length === 2 && !now.includes(workers[0]!)) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await childProcessesOf(primary!)).filter((pid) => pid !== workers[0])).toHaveLength(2);
      expect(await ask('after the crash')).toBe('after the crash');
      expect(output.stderr).toMatch(/worker \d stopped \(SIGKILL\); starting another/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output.stdout).toMatch(/mmkit serve: stopped\n$/);
    expect(await childProcessesOf(primary!)).toEqual([]);
  });

  it('started with the Node flags (as npm start does) it serves in the process started; killed outright, no server is left behind otherwise', async () => {
    const flagged = await startServe(
      ['--port', '0', '--config', join(root, 'config.json')],
      join(root, 'home-flagged'),
      ['--max-semi-space-size=64'],
    );
    const plain = await startServe(
      ['--port', '0', '--config', join(root, 'config.json'), '--runners', 'off'],
      join(root, 'home-plain'),
    );
    try {
      // The flagged one is the server itself: listening, and nothing under it until a model loads.
      expect((await fetch(`${flagged.url}/health`)).status).toBe(200);
      expect(await childProcessesOf(flagged.child.pid!)).toEqual([]);
      const [server] = await childProcessesOf(plain.child.pid!);
      expect((await fetch(`${plain.url}/health`)).status).toBe(200);
      plain.child.kill('SIGKILL');
      // Its parent gone, the server stops as on SIGTERM.
      let alive = true;
      for (let waited = 0; waited < 100 && alive; waited++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        alive = await readFile(`/proc/${server}/stat`, 'utf8').then(
          (stat) => !/^\d+ \(.*\) Z/.test(stat),
          () => false,
        );
      }
      expect(alive).toBe(false);
      await expect(fetch(`${plain.url}/health`)).rejects.toThrow();
    } finally {
      flagged.child.kill('SIGTERM');
      plain.child.kill('SIGKILL');
    }
  });

  it('with --workers, ends with the reason when the workers cannot listen', async () => {
    const taken = createNetServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const result = await runCli(
        ['serve', '--workers', '2', '--port', String(port), '--config', join(root, 'config.json')],
        {
          env: { MMKIT_HOME: join(root, 'home-taken'), MMKIT_OFFLINE: '1' },
        },
      );
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(new RegExp(`^mmkit: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`, 'm'));
      expect(result.stderr).toMatch(/^mmkit: a worker could not start \(exit code 1\)$/m);
    } finally {
      taken.close();
    }
  });

  it('refuses a bad port in one line', async () => {
    const result = await runCli(['serve', '--port', '70000']);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toBe(
      "mmkit: option '--port <port>' argument '70000' is invalid. --port must be an integer ≥ 0 and ≤ 65535, got '70000'",
    );
  });

  it('refuses bad runner options in one line', async () => {
    const keepAlive = await runCli(['serve', '--keep-alive', 'soon']);
    expect(keepAlive.code).not.toBe(0);
    expect(keepAlive.stderr.trim()).toMatch(
      /--keep-alive must be a duration such as 30s, 5m, 1h, 0 or -1 \(never\), got 'soon'$/,
    );
    const runners = await runCli(['serve', '--runners', 'maybe']);
    expect(runners.stderr.trim()).toMatch(/--runners must be on, threads or off, got 'maybe'$/);
    const budget = await runCli(['serve', '--memory-budget', 'lots']);
    expect(budget.stderr.trim()).toMatch(/--memory-budget must be a size such as 512M or 8G, got 'lots'$/);
  });
});
