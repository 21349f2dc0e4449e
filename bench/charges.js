'use strict';
/**
 * `consumeComputeUnits` charges/s: drives the built app's BillingService in-process (the whole
 * Nest application, not listening) with N concurrent callers, each on its own user, 1 CU per
 * call, on the bench PostgreSQL database. Spec as JSON in argv[2]:
 *   { dist, callers, warmupSec, durationSec }; env: DATABASE_URL, JWT_SECRET.
 * Prints one JSON line (the same shape as bench/load.js).
 */
const { join } = require('node:path');
const { scriptMain } = require('./child-script');

const spec = JSON.parse(process.argv[2]);
const { createApp } = require(join(spec.dist, 'src', 'bootstrap'));
const { loadConfig } = require(join(spec.dist, 'src', 'config'));
const { BillingService } = require(join(spec.dist, 'src', 'billing', 'billing.service'));
const { UsersService } = require(join(spec.dist, 'src', 'users', 'users.service'));
const { DataSource } = require('typeorm');

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

scriptMain(async () => {
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DB_MIGRATE_ON_START: 'false',
    DATABASE_POOL_SIZE: '20',
    TASK_LEASE_SWEEP_SECONDS: '0',
  });
  const app = await createApp(config);
  const billing = app.get(BillingService);
  const users = app.get(UsersService);
  const db = app.get(DataSource);
  const ids = [];
  for (let i = 0; i < spec.callers; i++) {
    const email = `bench-cu-${i}@cornerstone.test`;
    const user =
      (await users.findByEmail(email)) ??
      (await users.create({ email, password: 'bench-password-0123' }));
    await billing.current(user.id);
    ids.push(user.id);
  }
  // Enough headroom for any run: the enterprise plan, used back to 0.
  await db.query(
    `UPDATE user_subscriptions SET plan_id = 'enterprise', compute_units_used = 0
     WHERE status = 'active' AND user_id = ANY($1)`,
    [ids],
  );
  const run = async (seconds, latencies) => {
    const until = Date.now() + seconds * 1000;
    let n = 0;
    let errors = 0;
    await Promise.all(
      ids.map(async (id) => {
        while (Date.now() < until) {
          const t0 = process.hrtime.bigint();
          try {
            await billing.consumeComputeUnits(id, 1, null, 'bench');
            n++;
          } catch {
            errors++;
          }
          if (latencies) latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      }),
    );
    return { n, errors };
  };
  if (spec.warmupSec > 0) await run(spec.warmupSec, null);
  const latencies = [];
  const { n, errors } = await run(spec.durationSec, latencies);
  latencies.sort((a, b) => a - b);
  const round = (x) => Math.round(x * 100) / 100;
  const result = {
    reqPerSec: Math.round(n / spec.durationSec),
    requests: n,
    latencyMs: {
      mean: round(latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)),
      p50: round(percentile(latencies, 50)),
      p90: round(percentile(latencies, 90)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies[latencies.length - 1] ?? 0),
    },
    errors,
    timeouts: 0,
    non2xx: 0,
    statusCodes: {},
  };
  await app.close();
  return result;
});
