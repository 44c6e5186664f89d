import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MmkitError } from '../../errors.ts';
import { ModelRunnerPool } from './pool.ts';
import { chatRequest, fakeSpec, isAlive, waitUntil } from './test-support/fake-spec.ts';

describe('ModelRunnerPool: crashes and shutdown', () => {
  const pool = new ModelRunnerPool({ maxLoadedModels: 4 });
  afterAll(() => pool.shutdown());

  it('a crash fails only its own request; the queued one runs in a restarted runner; others carry on', async () => {
    const [crashing, bystander] = await Promise.all([
      pool.acquire(fakeSpec('crashing')),
      pool.acquire(fakeSpec('bystander')),
    ]);
    const firstPid = Number((await crashing.generate(chatRequest('pid'))).text);
    const crashed = crashing.generate(chatRequest('crash')).catch((error) => error);
    const queued = crashing.generate(chatRequest('pid'));
    const failure = await crashed;
    expect(failure).toBeInstanceOf(MmkitError);
    expect(failure).toMatchObject({ code: 'runner_crashed', status: 500 });
    expect(failure.message).toBe(
      'the runner for crashing stopped unexpectedly during generate(): it exited with code 3; the next request starts it again',
    );
    const restartedPid = Number((await queued).text);
    expect(restartedPid).not.toBe(firstPid);
    expect(isAlive(firstPid)).toBe(false);
    expect((await bystander.generate(chatRequest('unharmed'))).text).toBe('echo: unharmed');
  });

  it('an uncaught exception in the runner is reported with its error line', async () => {
    const crashing = await pool.acquire(fakeSpec('crashing'));
    const failure = await crashing.generate(chatRequest('throw')).catch((error) => error);
    expect(failure.code).toBe('runner_crashed');
    expect(failure.message).toMatch(/it exited with code 1 \(RangeError: fake model blew up\)/);
    expect((await crashing.generate(chatRequest('again'))).text).toBe('echo: again');
  });

  it('a runner out of JavaScript heap says so', async () => {
    const small = await pool.acquire(fakeSpec('small-heap', {}, { execArgv: ['--max-old-space-size=96'] }));
    const failure = await small.generate(chatRequest('exhaust-heap')).catch((error) => error);
    expect(failure).toMatchObject({ code: 'runner_crashed' });
    expect(failure.message).toMatch(/during generate\(\): it ran out of memory; the next request starts it again$/);
  });

  it('shutdown ends every runner, fails running requests and refuses new ones', async () => {
    const chat = await pool.acquire(fakeSpec('bystander'));
    const running = chat.generate(chatRequest('hang')).catch((error) => error);
    await waitUntil(async () => (await pool.status()).some((row) => row.state === 'busy'), 'the request runs');
    const pids = (await pool.status()).map((row) => row.pid!);
    expect(pids.length).toBeGreaterThanOrEqual(2);
    await pool.shutdown();
    expect(pids.filter(isAlive)).toEqual([]);
    expect(await running).toMatchObject({ code: 'runner_stopped', message: expect.stringContaining('shut down') });
    expect(await chat.generate(chatRequest('late')).catch((error) => error.code)).toBe('runner_shutdown');
    expect(await pool.acquire(fakeSpec('new')).catch((error) => error.code)).toBe('runner_shutdown');
  });

  it('a runner exits by itself when its parent is killed outright', async () => {
    const { parent, runnerPid } = await startParent('orphan-parent.ts');
    try {
      expect(isAlive(runnerPid)).toBe(true);
      parent.kill('SIGKILL');
      await waitUntil(() => !isAlive(runnerPid), 'the orphaned runner exits');
    } finally {
      // Leave no orphan behind when the check fails.
      if (isAlive(runnerPid)) process.kill(runnerPid, 'SIGKILL');
    }
  });

  it('an idle pool does not keep a finished program alive, and its runner ends with it', async () => {
    const { parent, runnerPid } = await startParent('forgetful-parent.ts');
    try {
      await waitUntil(() => parent.exitCode !== null, 'the program exits by itself');
      expect(parent.exitCode).toBe(0);
      await waitUntil(() => !isAlive(runnerPid), 'the runner exits with its program');
    } finally {
      if (isAlive(runnerPid)) process.kill(runnerPid, 'SIGKILL');
      parent.kill('SIGKILL');
    }
  });
});

/** Runs a test-support script in its own Node process; it prints its runner's pid first. */
async function startParent(script: string) {
  const path = fileURLToPath(new URL(`./test-support/${script}`, import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const parent = spawn(process.execPath, ['--import', tsx, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const runnerPid = await new Promise<number>((resolve, reject) => {
    parent.stdout.setEncoding('utf8').once('data', (line: string) => resolve(Number(line.trim())));
    parent.once('exit', (code) => reject(new Error(`${script} exited before printing a pid (${code})`)));
  });
  return { parent, runnerPid };
}
