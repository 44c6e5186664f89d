/**
 * A parent that loads one fake model, prints its runner's pid and then idles until killed, so a
 * test can kill it with SIGKILL (no cleanup at all) and check that the runner exits by itself.
 */
import { ModelRunnerPool } from '../pool.ts';
import { fakeSpec } from './fake-spec.ts';

const pool = new ModelRunnerPool();
await pool.acquire(fakeSpec('orphan'));
const [row] = await pool.status();
process.stdout.write(`${row!.pid}\n`);
setInterval(() => {}, 60_000);
