'use strict';
/**
 * Bench-only preload (`node -r bench/probe.js …`): samples this process's event-loop delay
 * and writes it, with RSS, to $BENCH_PROBE_DIR/<pid>.json every 500 ms. run.js reads these
 * files between scenarios; it changes nothing in the app. Sending SIGUSR2 resets the histogram.
 */
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { writeFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.BENCH_PROBE_DIR;
if (dir) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${process.pid}.json`);
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  setInterval(() => {
    const m = process.memoryUsage();
    const mb = (n) => Math.round(n / 1048576);
    const s = {
      at: Date.now(),
      pid: process.pid,
      rssMb: mb(m.rss),
      heapUsedMb: mb(m.heapUsed),
      heapTotalMb: mb(m.heapTotal),
      externalMb: mb(m.external),
      arrayBuffersMb: mb(m.arrayBuffers),
      meanMs: ms(h.mean),
      p50Ms: ms(h.percentile(50)),
      p99Ms: ms(h.percentile(99)),
      maxMs: ms(h.max),
    };
    try {
      writeFileSync(file, JSON.stringify(s));
    } catch {
      /* the bench dir went away: nothing to report to */
    }
  }, 500).unref();
  process.on('SIGUSR2', () => h.reset());
}
