/**
 * Scale-out on one machine (`mmkit serve --workers N`): N server processes share the listening
 * port through `node:cluster`, each with its own models, so requests use every core where one
 * event loop would hold them to one. The primary only forks, watches and stops them: a worker that
 * dies is replaced, one that cannot start ends the whole server with its reason.
 */
import cluster, { type Worker } from 'node:cluster';

type WorkerMessage = { type: 'mmkit-listening'; url: string } | { type: 'mmkit-stop' };

/** More replacements than this within a minute means workers die at once: give up. */
const RESTARTS_PER_MINUTE = 5;

export interface WorkerCluster {
  /** The URL every worker listens on. */
  url: string;
  /** Asks every worker to finish its requests and stop; resolves when all have exited. */
  stop(): Promise<void>;
  /** Resolves with a reason when the workers keep dying (the primary should then stop). */
  failed: Promise<string>;
}

export function isServerWorker(): boolean {
  return cluster.isWorker;
}

/** In a worker: tells the primary it is listening. */
export function reportListening(url: string): void {
  process.send?.({ type: 'mmkit-listening', url } satisfies WorkerMessage);
}

/** In a worker: `onStop` runs when the primary asks it to stop. */
export function onStopRequest(onStop: () => void): void {
  process.on('message', (message: WorkerMessage) => {
    if (message?.type === 'mmkit-stop') onStop();
  });
}

/** In a worker whose server has stopped: lets go of the primary, so the process can exit. */
export function leaveCluster(): void {
  if (cluster.worker?.isConnected()) cluster.worker.disconnect();
}

/** In the primary: forks `count` workers (this same program) and waits until all listen. */
export async function startWorkerCluster(count: number, log: (line: string) => void): Promise<WorkerCluster> {
  let stopping = false;
  const restarts: number[] = [];
  let fail: (reason: string) => void = () => {};
  const failed = new Promise<string>((resolve) => {
    fail = resolve;
  });

  /** Workers that have said they listen (and so will hear a stop request). */
  const listening = new WeakSet<Worker>();

  const fork = (index: number, onListening?: (url: string) => void, onEarlyExit?: (code: number | null) => void) => {
    const worker = cluster.fork({ MMKIT_SERVE_WORKER: String(index + 1) });
    worker.on('message', (message: WorkerMessage) => {
      if (message?.type !== 'mmkit-listening') return;
      listening.add(worker);
      onListening?.(message.url);
    });
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      if (!listening.has(worker)) {
        onEarlyExit?.(code);
        if (!onEarlyExit) fail(`worker ${index + 1} exited before listening (${signal ?? `code ${code}`})`);
        return;
      }
      const now = Date.now();
      restarts.push(now);
      while (restarts[0]! < now - 60_000) restarts.shift();
      if (restarts.length > RESTARTS_PER_MINUTE) {
        fail(
          `workers died ${restarts.length} times within a minute; the last: worker ${index + 1} (${signal ?? `code ${code}`})`,
        );
        return;
      }
      log(`mmkit serve: worker ${index + 1} stopped (${signal ?? `code ${code}`}); starting another`);
      fork(index);
    });
  };

  const url = await new Promise<string>((resolve, reject) => {
    let ready = 0;
    for (let index = 0; index < count; index++) {
      fork(
        index,
        (address) => {
          if (++ready === count) resolve(address);
        },
        (code) => reject(new Error(`a worker could not start (exit code ${code})`)),
      );
    }
  }).catch(async (error: unknown) => {
    await stopAll();
    throw error;
  });

  async function stopAll(): Promise<void> {
    stopping = true;
    const alive = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    await Promise.all(
      alive.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            // One still starting serves nothing yet, and may not listen for the request: a signal ends it.
            if (listening.has(worker) && worker.isConnected())
              worker.send({ type: 'mmkit-stop' } satisfies WorkerMessage);
            else worker.process.kill('SIGTERM');
          }),
      ),
    );
  }

  return { url, stop: stopAll, failed };
}
