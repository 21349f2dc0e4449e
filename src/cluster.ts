import './compile-cache';
import 'reflect-metadata';
import cluster, { Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { isCacheInvalidation } from './cache/cache-keys';
import { failStart, readConfig, start } from './main';

/**
 * `npm run start:cluster`: one worker per core (WEB_CONCURRENCY overrides), each running the
 * same server as `node dist/src/main`; they share the listening port through node:cluster.
 * The app is stateless (PostgreSQL, Redis), so workers are interchangeable.
 *
 * - Configuration is validated in the primary first: a mistake prints one line and exits 1
 *   before any worker is forked.
 * - The first worker starts alone; the others are forked once it listens, so migrations
 *   (DB_MIGRATE_ON_START) run once, never concurrently.
 * - A worker that dies is replaced, with a growing delay when it keeps dying quickly; a
 *   worker that cannot start at all (exit 1 before ever listening, e.g. the database is
 *   down after retries) stops the cluster with exit 1 rather than crash-looping.
 * - SIGTERM/SIGINT are forwarded to every worker, which drains as main.ts does; the primary
 *   exits 0 once all have exited (1 if any failed to drain), bounded by SHUTDOWN_TIMEOUT_MS.
 */
const RESTART_WINDOW_MS = 10_000;
const MAX_RESTART_DELAY_MS = 5_000;

function runPrimary(): void {
  const config = readConfig();
  const size = config.cluster.workers ?? availableParallelism();
  const log = (line: string) =>
    process.stdout.write(
      `${JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, context: 'Cluster', msg: line })}\n`,
    );
  let stopping = false;
  let failed = false;
  let quickDeaths = 0;
  const startedAt = new Map<number, number>();
  const listened = new Set<number>();

  const fork = (): Worker => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
    worker.once('listening', () => listened.add(worker.id));
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    const everListened = listened.has(worker.id);
    startedAt.delete(worker.id);
    listened.delete(worker.id);
    if (stopping) {
      if (code !== 0) failed = true;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
      return;
    }
    if (!everListened && code === 1) {
      // Same config, same database: a worker that could not start will not start on retry either.
      log(`worker ${worker.process.pid} failed to start (exit 1); stopping the cluster`);
      stopping = true;
      failed = true;
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(1);
      return;
    }
    quickDeaths = lived < RESTART_WINDOW_MS ? quickDeaths + 1 : 0;
    const delay = Math.min(100 * 2 ** quickDeaths, MAX_RESTART_DELAY_MS);
    log(
      `worker ${worker.process.pid} died (${signal ?? `exit ${code}`}); replacing it in ${delay} ms`,
    );
    setTimeout(() => {
      if (!stopping) fork();
    }, delay).unref();
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal} received: stopping ${Object.keys(cluster.workers ?? {}).length} worker(s)`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    // Workers bound their own drain; this only catches a worker that hangs past it.
    setTimeout(
      () => {
        log('workers did not exit in time; exiting');
        process.exit(1);
      },
      config.http.shutdownTimeoutMs + config.http.shutdownDelayMs + 5_000,
    ).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  // Without Redis each worker has its own cache: an invalidation in one worker is relayed to
  // the others (CacheService sends it over IPC), so revocation holds in every worker at once.
  cluster.on('message', (from: Worker, message: unknown) => {
    if (!isCacheInvalidation(message)) return;
    for (const worker of Object.values(cluster.workers ?? {}))
      if (worker && worker.id !== from.id && worker.isConnected()) worker.send(message);
  });

  log(`primary ${process.pid} starting ${size} worker(s)`);
  const first = fork();
  first.once('listening', () => {
    for (let i = 1; i < size && !stopping; i++) fork();
  });
}

function runWorker(): void {
  // A Ctrl-C reaches the workers directly and again through the primary: the second signal
  // must not kill a worker mid-drain (main.ts handles the first one).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => undefined);
  start().catch(failStart);
}

if (cluster.isPrimary) runPrimary();
else runWorker();
