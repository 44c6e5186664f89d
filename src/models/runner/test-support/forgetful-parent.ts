/**
 * A program that uses a model and then simply ends, without `shutdown()`: an idle pool must not
 * keep it alive, and its runner must exit with it. Prints the runner's pid first.
 */
import { ModelRunnerPool } from '../pool.ts';
import { chatRequest, fakeSpec } from './fake-spec.ts';

const pool = new ModelRunnerPool();
const chat = await pool.acquire(fakeSpec('forgotten'));
const { text } = await chat.generate(chatRequest('pid'));
process.stdout.write(`${text}\n`);
