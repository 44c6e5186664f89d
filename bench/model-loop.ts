/**
 * A process that embeds texts with tiny CLIP in a loop, for `server.bench.ts` to run beside a server
 * whose own model costs nothing: how much slower the server's thread answers while a model computes
 * on the other core (what a runner does under load), with no hop between them to blame.
 * Prints `looping` once the model runs, then loops until killed.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDefaultRegistry } from '../src/models/default-registry.ts';
import { buildTinyModel } from '../testkit/build.ts';

const root = await mkdtemp(join(tmpdir(), 'mmkit-model-loop-'));
await buildTinyModel('clip', join(root, 'clip'));
const model = await createDefaultRegistry().load('embeddings', join(root, 'clip'));
// The batch a busy server hands its runner: about half of 64 clients' one-text requests.
const texts = Array.from({ length: 32 }, (_, index) => `a photo of car number ${index}`);
await model.embedTexts(texts);
process.stdout.write('looping\n');
process.once('SIGTERM', () => process.exit(0));
for (;;) await model.embedTexts(texts);
