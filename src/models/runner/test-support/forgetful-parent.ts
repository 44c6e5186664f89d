/**
 * A program that uses a model and then simply ends, without `shutdown()`: an idle pool must not
 * keep it alive, and its runner must exit with it. Prints the runner's pid first. `thread` as the
 * first argument hosts the runner in a worker thread.
 */
import { ModelRunnerPool } from '../pool.ts';
import { chatRequest, fakeSpec } from './fake-spec.ts';

const pool = new ModelRunnerPool({ isolation: process.argv[2] === 'thread' ? 'thread' : 'process' });
const chat = await pool.acquire(fakeSpec('forgotten'));
const { text } = await chat.generate(chatRequest('pid'));
process.stdout.write(`${text}\n`);
