'use strict';
/**
 * System-log ingest under request load (issue 17): the built app in-process, listening on a
 * loopback port, its SystemLogService.log() driven at a paced `rate` events/s while bench/load.js
 * (autocannon, its own process) sends `path` with `headers` at `connections`. After the run the
 * buffer is flushed and the events are counted in system_logs (they carry this run's requestId),
 * then deleted. Spec as JSON in argv[2]:
 *   { dist, rate, path, headers, connections, warmupSec, durationSec }; env: the app's (run.js appEnv).
 * Prints one JSON line: bench/load.js's shape plus `ingest`.
 */
const { join } = require('node:path');
const { runChildScript, scriptMain } = require('./child-script');
const { monitorEventLoopDelay } = require('node:perf_hooks');

const spec = JSON.parse(process.argv[2]);
const { createApp } = require(join(spec.dist, 'src', 'bootstrap'));
const { loadConfig } = require(join(spec.dist, 'src', 'config'));
const { SystemLogService } = require(join(spec.dist, 'src', 'analytics', 'system-log.service'));
const { DataSource } = require('typeorm');

/** autocannon's result line from bench/load.js, run as a child so it never shares our event loop. */
function load(url) {
  return runChildScript(join(__dirname, 'load.js'), {
    url,
    method: 'GET',
    headers: spec.headers,
    connections: spec.connections,
    warmupSec: spec.warmupSec,
    durationSec: spec.durationSec,
  });
}

scriptMain(async () => {
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DB_MIGRATE_ON_START: 'false',
    TASK_LEASE_SWEEP_SECONDS: '0',
  });
  const app = await createApp(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address();
  const logs = app.get(SystemLogService);
  const db = app.get(DataSource);
  const tag = `bench-ingest-${process.pid}-${Date.now().toString(36)}`;

  // Paced by the clock, not by the ticks: every 10 ms the events due so far (≈ rate / 100), so a
  // late tick catches up and the average is `rate` whatever the timer jitter.
  const perMs = spec.rate / 1000;
  const t0 = performance.now();
  let logged = 0;
  let maxBacklog = 0;
  const tick = () => {
    const due = Math.floor((performance.now() - t0) * perMs);
    for (; logged < due; logged++) {
      logs.log({
        service: 'analytics',
        level: logged % 20 === 0 ? 'WARNING' : 'INFO',
        message: `bench event ${logged}: 24 items in 183 ms`,
        details: { n: logged, source: 'bench' },
        requestId: tag,
      });
    }
    // The private buffer, read only here: how far the batched writer lags behind log().
    maxBacklog = Math.max(maxBacklog, logs.buffer.length);
  };
  const pacer = setInterval(tick, 10);

  const eld = monitorEventLoopDelay({ resolution: 10 });
  let rssMax = 0;
  let mark = null;
  const sampler = setInterval(() => {
    rssMax = Math.max(rssMax, process.memoryUsage().rss);
  }, 250);
  // The load run's warm-up is over: start the measured window (as run.js does for servers).
  const warm = setTimeout(
    () => {
      tick();
      mark = { at: performance.now(), logged };
      eld.enable();
    },
    spec.warmupSec * 1000 + 100,
  );
  const loadResult = await load(`http://127.0.0.1:${port}${spec.path}`);
  tick();
  const end = { at: performance.now(), logged };
  clearInterval(pacer);
  clearInterval(sampler);
  clearTimeout(warm);
  eld.disable();

  const f0 = performance.now();
  await logs.flush();
  const finalFlushMs = Math.round(performance.now() - f0);
  const [{ n: stored }] = await db.query(
    'SELECT count(*)::int AS n FROM system_logs WHERE request_id = $1',
    [tag],
  );
  await db.query('DELETE FROM system_logs WHERE request_id = $1', [tag]);
  const start = mark ?? { at: t0, logged: 0 };
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  const result = {
    ...loadResult,
    rssMaxMb: Math.round(rssMax / 1024 / 1024),
    serverCpuUsPerReq: null, // the process also does the ingest: per-request CPU would mislead
    eventLoopDelayMs: mark
      ? { mean: ms(eld.mean), p99: ms(eld.percentile(99)), max: ms(eld.max) }
      : null,
    ingest: {
      rate: spec.rate,
      eventsPerSec: Math.round(((end.logged - start.logged) * 1000) / (end.at - start.at)),
      logged: end.logged,
      stored,
      lost: end.logged - stored,
      maxBacklog,
      finalFlushMs,
    },
  };
  await app.close();
  return result;
});
