import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/test-server.ts';

describe('the web UI at /', () => {
  let test: TestServer;
  let webDir: string;

  beforeAll(async () => {
    webDir = await mkdtemp(join(tmpdir(), 'mmkit-web-'));
    await mkdir(join(webDir, 'assets'));
    await writeFile(join(webDir, 'index.html'), '<!doctype html><title>mmkit</title>');
    await writeFile(join(webDir, 'assets', 'index-abc123.js'), 'console.log(1)');
    await writeFile(join(webDir, 'assets', 'index-abc123.css'), 'body{}');
    await writeFile(join(webDir, '.env'), 'SECRET=1');
    await symlink('/etc/passwd', join(webDir, 'assets', 'passwd.txt'));
    test = await startTestServer({ webDir });
  });
  afterAll(async () => {
    await test?.close();
    await rm(webDir, { recursive: true, force: true });
  });

  it('serves index.html at / and the assets with their types', async () => {
    const index = await fetch(`${test.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await index.text()).toContain('<title>mmkit</title>');
    const script = await fetch(`${test.url}/assets/index-abc123.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect(await script.text()).toBe('console.log(1)');
    expect((await fetch(`${test.url}/assets/index-abc123.css`)).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
  });

  it.each([
    '/../../../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/assets/..%2f..%2fpackage.json',
    '/.env',
    '/assets/passwd.txt',
    '/assets/%00.js',
    '/assets/..\\..\\x.js',
    '/no-such-file.js',
  ])('answers 404 in the error shape for %s', async (path) => {
    const response = await fetch(`${test.url}${path}`);
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { code: string } };
    expect(body.error.code).toBe('route_not_found');
  });

  it('keeps the API routes ahead of the UI', async () => {
    expect((await fetch(`${test.url}/health`)).status).toBe(200);
    expect((await fetch(`${test.url}/api/styles`)).headers.get('content-type')).toMatch(/^application\/json/);
  });
});
