/**
 * Hostile file names and uploads: traversal and encoded names on /uploads and /outputs, NUL bytes,
 * planted symlinks, uploads whose names, declared types and bytes lie, truncated and garbage media,
 * pixel bombs, 20 MB forms, broken multipart. Every refusal gets its status and the error shape,
 * the server keeps answering, and nothing lands outside `<dataDir>/uploads` under a name it made.
 */
import { readFile, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../media/wav.ts';
import { heicHeader } from '../tasks/vqa/test-support/images.ts';
import {
  expectErrorAnswer,
  multipartBody,
  noiseImage,
  pixelBombGif,
  pixelBombPng,
  rawRequest,
} from './test-support/hostile.ts';
import { listTree, solidImage, startTestServer, type TestServer } from './test-support/test-server.ts';

const VALID_NAME = '20250101T000000000Z-0123456789abcdef.png';
const STORED = /^data\/uploads\/\d{8}T\d{9}Z-[0-9a-f]{16}\.(png|jpg)(\.json)?$/;

const namePaths: string[] = [
  '/uploads/../../x',
  '/uploads/..%2f..%2fx',
  '/uploads/..%2F..%2Fpackage.json',
  '/uploads/%2e%2e%2f%2e%2e%2fx',
  '/uploads/..%252f..%252fx',
  '/uploads/..%5c..%5cx',
  '/uploads/%2fetc%2fpasswd',
  '/uploads//etc/passwd',
  '/uploads/x%00.png',
  `/uploads/${VALID_NAME}%00.png`,
  `/uploads/${VALID_NAME.replace('.png', '%00.png')}`,
  '/uploads/',
  '/uploads/.',
  `/uploads/.${VALID_NAME}.partial`,
  `/uploads/${VALID_NAME}.json`,
  `/uploads/${VALID_NAME.toUpperCase()}`,
  `/uploads/${VALID_NAME.replace('.png', '.exe')}`,
  `/uploads/${VALID_NAME}`,
  '/outputs/../../x',
  '/outputs/..%2f..%2fdata%2fuploads',
  '/outputs/%00',
];

describe('hostile names and uploads', () => {
  let test: TestServer;
  let treeBefore: string[];
  let png: Buffer;

  beforeAll(async () => {
    test = await startTestServer({ limits: { maxAudioSeconds: 5 } });
    treeBefore = await listTree(test.root);
    png = await solidImage({ r: 250, g: 0, b: 0 });
  });
  afterAll(async () => {
    await test?.close();
  });

  const stillServing = async () => {
    expect((await rawRequest(test.url, 'GET', '/health')).status).toBe(200);
  };

  const postForm = (path: string, parts: Parameters<typeof multipartBody>[0], query = '') => {
    const { body, contentType } = multipartBody(parts);
    return rawRequest(test.url, 'POST', `${path}${query}`, { headers: { 'content-type': contentType }, body });
  };

  it.each(namePaths)('GET %s → 404, and nothing read outside the folder', async (path) => {
    const response = await rawRequest(test.url, 'GET', path);
    expectErrorAnswer(response, 404);
    expect(response.text).not.toMatch(/root:|"name": "mmkit"/);
    await stillServing();
  });

  it('refuses a path with backslashes, which is not even a URL, with a 400 in the error shape', async () => {
    expectErrorAnswer(await rawRequest(test.url, 'GET', '/uploads/..\\..\\x'), 400, 'invalid_url');
    await stillServing();
  });

  it('does not follow a symlink planted in uploads/ under a valid name', async () => {
    const planted = join(test.dataDir, 'uploads', VALID_NAME);
    await symlink('/etc/passwd', planted);
    try {
      expectErrorAnswer(await rawRequest(test.url, 'GET', `/uploads/${VALID_NAME}`), 404, 'file_not_found');
    } finally {
      await rm(planted);
    }
  });

  it.each([
    ['a traversal', '../../x.png'],
    ['an absolute path', '/etc/cron.d/evil.png'],
    ['an encoded traversal', '..%2f..%2fx.png'],
    ['a NUL byte', 'a\u0000b.png'],
    ['a Windows path', '..\\..\\x.png'],
  ])('an upload named with %s is stored under a server-made name only', async (_name, fileName) => {
    const response = await postForm('/qa', [
      { name: 'question', value: 'colour?' },
      { name: 'image', value: png, fileName, type: 'image/png' },
    ]);
    expect(response.status).toBe(200);
    const body = JSON.parse(response.text) as { answer: string; image_url: string };
    expect(body.answer).toBe('red');
    expect(body.image_url).toMatch(/^\/uploads\/\d{8}T\d{9}Z-[0-9a-f]{16}\.png$/);
    const storedName = body.image_url.slice('/uploads/'.length);
    const sidecar = JSON.parse(await readFile(join(test.dataDir, 'uploads', `${storedName}.json`), 'utf8'));
    expect(sidecar.storedAs).toBe(storedName);
    // The client's name survives as metadata only (a NUL may be dropped or replaced by the parser).
    if (!fileName.includes('\u0000')) expect(sidecar.originalName).toBe(fileName);
  });

  const qaCases: [string, () => Promise<Parameters<typeof multipartBody>[0]>, number, string?][] = [
    [
      'garbage bytes declared as PNG',
      async () => [
        { name: 'question', value: 'q' },
        { name: 'image', value: Buffer.from('not an image at all'), fileName: 'a.png', type: 'image/png' },
      ],
      415,
      'unsupported_media_type',
    ],
    [
      'an SVG',
      async () => [
        { name: 'question', value: 'q' },
        {
          name: 'image',
          value: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
          fileName: 'a.svg',
          type: 'image/svg+xml',
        },
      ],
      415,
    ],
    [
      'a WAV sent as the image',
      async () => [
        { name: 'question', value: 'q' },
        { name: 'image', value: encodeWav(new Float32Array(100), 16000), fileName: 'a.png' },
      ],
      415,
    ],
    [
      'a truncated PNG',
      async () => [
        { name: 'question', value: 'q' },
        { name: 'image', value: (await noiseImage('png')).subarray(0, 200), fileName: 'a.png' },
      ],
      400,
      'image_unreadable',
    ],
    [
      'a truncated JPEG',
      async () => {
        const jpeg = await noiseImage('jpeg');
        return [
          { name: 'question', value: 'q' },
          { name: 'image', value: jpeg.subarray(0, jpeg.length / 2), fileName: 'a.jpg' },
        ];
      },
      400,
      'image_unreadable',
    ],
    [
      'the first bytes of an iPhone HEIC and nothing more',
      async () => [
        { name: 'question', value: 'q' },
        { name: 'image', value: Buffer.from(heicHeader()), fileName: 'IMG_0001.HEIC', type: 'image/heic' },
      ],
      400,
      'image_unreadable',
    ],
    [
      'a truncated TIFF',
      async () => [
        { name: 'question', value: 'q' },
        {
          name: 'image',
          value: (
            await sharp({ create: { width: 64, height: 64, channels: 3, background: 'red' } })
              .tiff()
              .toBuffer()
          ).subarray(0, 300),
          fileName: 'scan.tif',
        },
      ],
      400,
      'image_unreadable',
    ],
    [
      'a 30000×30000 PNG header',
      async () => [
        { name: 'question', value: 'q' },
        { name: 'image', value: pixelBombPng(), fileName: 'bomb.png' },
      ],
      400,
      'image_too_large',
    ],
    [
      'a 65535×65535 GIF header',
      async () => [
        { name: 'question', value: 'q' },
        { name: 'image', value: pixelBombGif(), fileName: 'bomb.gif' },
      ],
      400,
    ],
    [
      'an empty image',
      async () => [
        { name: 'question', value: 'q' },
        { name: 'image', value: Buffer.alloc(0), fileName: 'a.png' },
      ],
      400,
      'image_empty',
    ],
    ['no image', async () => [{ name: 'question', value: 'q' }], 400, 'missing_parameter'],
    [
      'the image as a text field',
      async () => [
        { name: 'question', value: 'q' },
        { name: 'image', value: 'data' },
      ],
      400,
      'missing_parameter',
    ],
    [
      'two images',
      async () => [
        { name: 'question', value: 'q' },
        { name: 'image', value: png, fileName: 'a.png' },
        { name: 'image', value: png, fileName: 'b.png' },
      ],
      400,
    ],
    ['no question', async () => [{ name: 'image', value: png, fileName: 'a.png' }], 400, 'missing_parameter'],
    [
      'an empty question',
      async () => [
        { name: 'question', value: '   ' },
        { name: 'image', value: png, fileName: 'a.png' },
      ],
      400,
    ],
    [
      'a NUL in the question',
      async () => [
        { name: 'question', value: 'what\u0000colour' },
        { name: 'image', value: png, fileName: 'a.png' },
      ],
      400,
    ],
    [
      'an overlong question',
      async () => [
        { name: 'question', value: 'q'.repeat(2001) },
        { name: 'image', value: png, fileName: 'a.png' },
      ],
      400,
      'prompt_too_long',
    ],
    [
      'the question as a file',
      async () => [
        { name: 'question', value: 'q', fileName: 'q.txt' },
        { name: 'image', value: png, fileName: 'a.png' },
      ],
      400,
    ],
    [
      'an unknown model',
      async () => [
        { name: 'question', value: 'q' },
        { name: 'model', value: '../../x' },
        { name: 'image', value: png, fileName: 'a.png' },
      ],
      404,
      'model_not_found',
    ],
    [
      'a text-only model',
      async () => [
        { name: 'question', value: 'q' },
        { name: 'model', value: 'tiny-llm' },
        { name: 'image', value: png, fileName: 'a.png' },
      ],
      400,
      'images_not_supported',
    ],
  ];

  it.each(qaCases)('/qa with %s', async (_name, parts, status, code) => {
    const response = await postForm('/qa', await parts());
    expectErrorAnswer(response, status, code);
    expect(JSON.parse(response.text)).toMatchObject({ status: 'error', message: expect.any(String) });
    await stillServing();
  });

  it.each([
    ['text/plain', 'text/plain', 'question=q'],
    ['JSON', 'application/json', '{"question": "q"}'],
    ['no content type', undefined, 'x'],
  ])('/qa refuses %s with 415', async (_name, type, body) => {
    const headers: Record<string, string> = type ? { 'content-type': type } : {};
    expectErrorAnswer(await rawRequest(test.url, 'POST', '/qa', { headers, body }), 415, 'unsupported_media_type');
  });

  it('/qa refuses a form whose boundary never appears (400) and a 20 MB form (413), with or without a length', async () => {
    const broken = await rawRequest(test.url, 'POST', '/qa', {
      headers: { 'content-type': 'multipart/form-data; boundary=never-sent' },
      body: '--other\r\nContent-Disposition: form-data; name="question"\r\n\r\nq\r\n--other--\r\n',
    });
    expectErrorAnswer(broken, 400, 'invalid_form');
    const { body, contentType } = multipartBody([
      { name: 'question', value: 'q' },
      { name: 'image', value: Buffer.concat([png, Buffer.alloc(20 * 1024 * 1024)]), fileName: 'big.png' },
    ]);
    for (const chunked of [false, true]) {
      const response = await rawRequest(test.url, 'POST', '/qa', {
        headers: { 'content-type': contentType },
        body,
        chunked,
      });
      expectErrorAnswer(response, 413, 'body_too_large');
    }
    await stillServing();
  });

  const audioCases: [string, Parameters<typeof multipartBody>[0], number, string?][] = [
    ['no file', [{ name: 'model', value: 'whisper' }], 400, 'missing_parameter'],
    [
      'garbage audio',
      [{ name: 'file', value: Buffer.from('garbage garbage garbage'), fileName: 'a.wav', type: 'audio/wav' }],
      415,
    ],
    [
      'a PNG as audio',
      [{ name: 'file', value: Buffer.from('\x89PNG\r\n\x1a\n0000', 'latin1'), fileName: 'a.mp3' }],
      415,
    ],
    ['an empty file', [{ name: 'file', value: Buffer.alloc(0), fileName: 'a.wav' }], 400, 'audio_empty'],
    [
      'a truncated WAV header',
      [{ name: 'file', value: encodeWav(new Float32Array(16000), 16000).subarray(0, 30), fileName: 'a.wav' }],
      400,
    ],
    [
      'audio over the duration limit',
      [{ name: 'file', value: encodeWav(new Float32Array(16000 * 6), 16000), fileName: 'a.wav' }],
      400,
      'audio_too_long',
    ],
    [
      'an unknown response_format',
      [
        { name: 'response_format', value: 'docx' },
        { name: 'file', value: encodeWav(new Float32Array(1600), 16000), fileName: 'a.wav' },
      ],
      400,
    ],
    [
      'a traversal as language',
      [
        { name: 'language', value: '../../x' },
        { name: 'file', value: encodeWav(new Float32Array(1600), 16000), fileName: 'a.wav' },
      ],
      400,
    ],
    [
      'word timestamps without verbose_json',
      [
        { name: 'timestamp_granularities[]', value: 'word' },
        { name: 'file', value: encodeWav(new Float32Array(1600), 16000), fileName: 'a.wav' },
      ],
      400,
    ],
    [
      'a NUL in the prompt',
      [
        { name: 'prompt', value: 'a\u0000b' },
        { name: 'file', value: encodeWav(new Float32Array(1600), 16000), fileName: 'a.wav' },
      ],
      400,
    ],
  ];

  it.each(audioCases)('/v1/audio/transcriptions with %s', async (_name, parts, status, code) => {
    expectErrorAnswer(await postForm('/v1/audio/transcriptions', parts), status, code);
    await stillServing();
  });

  it('/v1/audio/transcriptions refuses JSON (415) and a 30 MB form (413)', async () => {
    const json = await rawRequest(test.url, 'POST', '/v1/audio/transcriptions', {
      headers: { 'content-type': 'application/json' },
      body: '{"file": "a.wav"}',
    });
    expectErrorAnswer(json, 415, 'unsupported_media_type');
    const huge = await postForm('/v1/audio/transcriptions', [
      { name: 'file', value: Buffer.alloc(30 * 1024 * 1024), fileName: 'a.wav' },
    ]);
    expectErrorAnswer(huge, 413, 'body_too_large');
  });

  it('wrote nothing but server-named uploads inside uploads/', async () => {
    const after = await listTree(test.root);
    const added = after.filter((path) => !treeBefore.includes(path));
    expect(treeBefore.every((path) => after.includes(path))).toBe(true);
    // Five accepted uploads (the renamed ones above), each with its sidecar; nothing else.
    expect(added.filter((path) => path !== 'data/uploads')).toHaveLength(10);
    for (const path of added) expect(path).toMatch(STORED);
  });
});
