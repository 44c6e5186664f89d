import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../testkit/build.ts';
import { type OpenAiTestServer, startOpenAiTestServer } from '../../../testkit/openai-server.ts';
import { encodeWav } from '../../media/wav.ts';
import { loadAudio } from '../../preprocess/audio/load.ts';
import { runCli } from '../test-support/run-cli.ts';

describe('mmkit assistant', () => {
  let root: string;
  let llm: string;
  let server: OpenAiTestServer;
  let env: NodeJS.ProcessEnv;
  const transcript = 'Is it going to rain tomorrow?';

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-assistant-cli-'));
    llm = join(root, 'llm');
    env = { MMKIT_HOME: join(root, 'home'), MMKIT_OFFLINE: '1' };
    server = await startOpenAiTestServer({ transcript });
    await buildTinyModel('llm', llm);
  });
  afterAll(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  it('answers text with the offline voice and prints the result as JSON', async () => {
    const outDir = join(root, 'answers');
    const question = 'Tomorrow will be sunny and warm. 明天是晴天。';
    const result = await runCli(['assistant', '--text', question, '--chat-model', llm, '--out-dir', outDir, '--json'], {
      env,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ inputType: 'text', answer: question, sampleRate: 22050, chunks: 2 });
    expect(report.transcript).toBeUndefined();
    expect(report.audioPath).toMatch(/answers\/\d{8}-\d{6}-\d{3}_[0-9a-f]{8}\.wav$/);
    expect(await readdir(outDir)).toHaveLength(1);
    const audio = await loadAudio(report.audioPath);
    expect(audio.durationSeconds).toBeCloseTo(report.audioSeconds, 3);
    expect(audio.durationSeconds).toBeGreaterThan(2);
    expect(report.timings.firstAudioMs).toBeLessThanOrEqual(report.timings.totalMs);
  });

  it('hears a spoken question over an OpenAI-compatible server and prints transcript, answer and file', async () => {
    const question = join(root, 'question.wav');
    const tone = Float32Array.from({ length: 16000 }, (_, index) => 0.3 * Math.sin(index / 10));
    await writeFile(question, encodeWav(tone, 16000));
    const out = join(root, 'spoken.wav');
    const result = await runCli(
      [
        'assistant',
        '--audio',
        question,
        '--transcription-model',
        `openai:whisper@${server.baseURL}`,
        '--chat-model',
        `openai:echo@${server.baseURL}`,
        '--language',
        'en',
        '--out',
        out,
      ],
      { env },
    );
    expect(result).toMatchObject({
      code: 0,
      stderr: '',
      stdout: `transcript: ${transcript}\nanswer: ${transcript}\naudio: ${out}\n`,
    });
    const upload = server.requests.find((request) => request.path === '/audio/transcriptions')!;
    expect(upload.form?.fields.language).toEqual(['en']);
    expect((await loadAudio(out)).durationSeconds).toBeGreaterThan(1);
  });

  it('fails with one line on a wrong combination of options or bad audio, writing nothing', async () => {
    const outDir = join(root, 'failures');
    const run = (args: string[]) => runCli(['assistant', ...args, '--chat-model', llm, '--out-dir', outDir], { env });
    expect(await run([])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'mmkit: assistant: give --audio FILE or --text TEXT (one of them)\n',
    });
    expect((await run(['--text', 'hi', '--audio', 'x.wav'])).stderr).toBe(
      'mmkit: assistant: give --audio FILE or --text TEXT (one of them)\n',
    );
    expect((await run(['--text', 'hi', '--out', join(root, 'x.wav')])).stderr).toBe(
      'mmkit: assistant: give --out or --out-dir, not both\n',
    );
    const silent = join(root, 'silent.wav');
    await writeFile(silent, encodeWav(new Float32Array(8000), 16000));
    const quiet = await run(['--audio', silent, '--transcription-model', `openai:whisper@${server.baseURL}`]);
    expect(quiet).toMatchObject({ code: 1, stderr: `mmkit: ${silent}: no speech was recognised in the audio\n` });
    expect(await readdir(outDir)).toEqual([]);
  });
});
