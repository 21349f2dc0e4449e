#!/usr/bin/env node
/**
 * Soak: `npm run soak -- --minutes 10 [--rate 40] [--sample-seconds 30] [--pg postgres://…/postgres]`
 *
 * Starts the built app (`node dist/src/main`, NODE_ENV=production) on loopback, drives a
 * mixed workload at a fixed rate (open loop: requests are sent on schedule whether or not
 * earlier ones have finished), and every --sample-seconds prints the app's RSS and heap
 * (measured inside the app after a full GC) with the window's latency and error counts.
 *
 * Pass: 0 errors, and RSS and heap each grow < 10% over the second half of the run.
 * Database: PostgreSQL when --pg (or TEST_DATABASE_URL) is given (a scratch database,
 * dropped afterwards), else the embedded SQLite in a temp file. Plain JS: no build of its own.
 */
'use strict';

const { spawn, execFileSync } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}
const MINUTES = Number(arg('minutes', '10'));
const RATE = Number(arg('rate', '40'));
const SAMPLE_S = Number(arg('sample-seconds', '30'));
const PG_ADMIN = arg('pg', process.env.TEST_DATABASE_URL || '');
const GROWTH_LIMIT = 0.1;

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (n) => (n / 1024 / 1024).toFixed(1);

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
let PORT = 0;
let retriedOnReusedSocket = 0;
/**
 * One HTTP request over the keep-alive agent. A request that fails with ECONNRESET on a
 * *reused* socket is retried once, as browsers and Node's docs do (req.reusedSocket): the
 * server closed that idle keep-alive socket (keepAliveTimeout) just as the client reused it.
 * Counted in the result, never hidden; any other failure is an error.
 */
async function call(method, url, body, token) {
  const first = await attempt(method, url, body, token);
  if (first.status === 0 && first.error === 'ECONNRESET' && first.reused) {
    retriedOnReusedSocket++;
    return attempt(method, url, body, token);
  }
  return first;
}
function attempt(method, url, body, token) {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const started = process.hrtime.bigint();
    const req = http.request(
      {
        host: '127.0.0.1',
        port: PORT,
        method,
        path: url,
        agent,
        headers: {
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let json = null;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            /* not JSON */
          }
          resolve({
            status: res.statusCode,
            body: json,
            ms: Number(process.hrtime.bigint() - started) / 1e6,
          });
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', (e) =>
      resolve({
        status: 0,
        error: e.code || e.message,
        reused: req.reusedSocket,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      }),
    );
    if (payload) req.write(payload);
    req.end();
  });
}

async function ensureBuilt() {
  if (fs.existsSync(path.join(ROOT, 'dist', 'src', 'main.js'))) return;
  console.log('soak: dist/src/main.js missing, building (npx nest build)…');
  execFileSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

async function scratchDatabase() {
  if (!PG_ADMIN) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-soak-'));
    return {
      url: `sqlite:${path.join(dir, 'soak.sqlite')}`,
      kind: 'sqlite',
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const { Client } = require('pg');
  const name = `cs_soak_${randomUUID().slice(0, 8)}`;
  const admin = new Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    kind: 'postgres',
    drop: async () => {
      const c = new Client({ connectionString: PG_ADMIN });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

function percentile(values, p) {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  await ensureBuilt();
  const db = await scratchDatabase();
  PORT = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      '-r',
      path.join(__dirname, 'soak-probe.js'),
      path.join(ROOT, 'dist', 'src', 'main.js'),
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        PORT: String(PORT),
        HOST: '127.0.0.1',
        DATABASE_URL: db.url,
        DB_MIGRATE_ON_START: 'true',
        JWT_SECRET: 'soak-secret-soak-secret-soak-secret-0123456789',
        LOG_LEVEL: 'warn',
        THROTTLE_LIMIT: '1000000',
        SEARCH_THROTTLE_LIMIT: '1000000',
        ...(process.env.SOAK_REDIS_URL
          ? {
              REDIS_URL: process.env.SOAK_REDIS_URL,
              REDIS_KEY_PREFIX: `cs-soak-${randomUUID().slice(0, 8)}:`,
            }
          : {}),
      },
    },
  );
  let appLog = '';
  child.stdout.on('data', (d) => (appLog = (appLog + d).slice(-20_000)));
  child.stderr.on('data', (d) => (appLog = (appLog + d).slice(-20_000)));
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const memory = () =>
    new Promise((resolve) => {
      const onMessage = (m) => {
        if (m && m.type === 'memory') {
          child.off('message', onMessage);
          resolve(m);
        }
      };
      child.on('message', onMessage);
      child.send('sample');
    });

  let result = { pass: false };
  try {
    const readyBy = Date.now() + 60_000;
    while ((await call('GET', '/health/ready')).status !== 200) {
      if (Date.now() > readyBy || child.exitCode !== null)
        throw new Error(`app did not become ready:\n${appLog}`);
      await sleep(200);
    }

    // Tenants: 4 users, each owning an entity with a few leads.
    const tenants = [];
    for (let i = 0; i < 4; i++) {
      const email = `soak-${i}-${randomUUID().slice(0, 6)}@example.com`;
      const password = 'Correct-Horse-9-Battery';
      const reg = await call('POST', '/v1/auth/register', { email, password });
      if (reg.status !== 201)
        throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
      const token = reg.body.accessToken;
      const ent = await call('POST', '/v1/entities', { name: `Soak ${i}` }, token);
      if (ent.status !== 201) throw new Error(`entity: ${ent.status} ${JSON.stringify(ent.body)}`);
      tenants.push({ email, password, token, entityId: ent.body.id, leads: [] });
    }
    let seq = 0;
    const newLead = async (t) => {
      const r = await call(
        'POST',
        `/v1/entities/${t.entityId}/leads`,
        {
          firstName: 'Soak',
          lastName: `Lead${seq}`,
          email: `lead-${seq++}-${randomUUID().slice(0, 6)}@example.com`,
        },
        t.token,
      );
      if (r.status === 201) t.leads.push(r.body.id);
      return r;
    };
    for (const t of tenants) for (let i = 0; i < 20; i++) await newLead(t);

    const pick = (list) => list[Math.floor(Math.random() * list.length)];
    // Open loop: a read or update of a lead can still be in flight when another request deletes it.
    // A 404 for a lead this run deleted is that race, not an error.
    const deleted = new Set();
    let racedWithDelete = 0;
    const onLead = async (t, run) => {
      const id = pick(t.leads);
      const r = await run(id);
      if (r.status === 404 && deleted.has(id)) {
        racedWithDelete++;
        return { ...r, status: 200 };
      }
      return r;
    };
    /** [weight, name, run] — each returns a response; `ok` lists the statuses that count as success. */
    const mix = [
      [
        25,
        'list leads',
        (t) => call('GET', `/v1/entities/${t.entityId}/leads?limit=20`, undefined, t.token),
      ],
      [
        15,
        'get lead',
        (t) =>
          onLead(t, (id) =>
            call('GET', `/v1/entities/${t.entityId}/leads/${id}`, undefined, t.token),
          ),
      ],
      [15, 'create lead', (t) => newLead(t)],
      [
        10,
        'update lead',
        (t) =>
          onLead(t, (id) =>
            call(
              'PATCH',
              `/v1/entities/${t.entityId}/leads/${id}`,
              { status: Math.random() < 0.5 ? 'REACHED_OUT' : 'PENDING' },
              t.token,
            ),
          ),
      ],
      [10, 'me', (t) => call('GET', '/v1/auth/me', undefined, t.token)],
      [
        5,
        'search leads',
        (t) => call('GET', `/v1/entities/${t.entityId}/leads?search=lead1`, undefined, t.token),
      ],
      [
        5,
        'delete lead',
        async (t) => {
          if (t.leads.length < 30) return newLead(t);
          const id = t.leads.splice(Math.floor(Math.random() * t.leads.length), 1)[0];
          deleted.add(id);
          return call('DELETE', `/v1/entities/${t.entityId}/leads/${id}`, undefined, t.token);
        },
      ],
      [5, 'readiness', () => call('GET', '/health/ready')],
      [
        5,
        'lead stats',
        (t) => call('GET', `/v1/entities/${t.entityId}/leads/stats`, undefined, t.token),
      ],
      [3, 'list entities', (t) => call('GET', '/v1/entities', undefined, t.token)],
      [2, 'login', (t) => call('POST', '/v1/auth/login', { login: t.email, password: t.password })],
    ];
    const totalWeight = mix.reduce((s, m) => s + m[0], 0);
    const choose = () => {
      let r = Math.random() * totalWeight;
      for (const m of mix) if ((r -= m[0]) < 0) return m;
      return mix[0];
    };

    console.log(
      `soak: ${MINUTES} min at ${RATE} req/s on ${db.kind}, samples every ${SAMPLE_S} s (pid ${child.pid}, port ${PORT})`,
    );
    console.log('  t(s)   rss MB  heap MB   requests  errors  p50 ms  p99 ms');
    const samples = [];
    const first = await memory();
    samples.push({ t: 0, ...first });
    console.log(
      `  ${'0'.padStart(4)}  ${mb(first.rss).padStart(7)}  ${mb(first.heapUsed).padStart(7)}  ${'0'.padStart(9)}  ${'0'.padStart(6)}`,
    );

    const errors = [];
    const byOp = {};
    let done = 0;
    let window = [];
    const started = Date.now();
    const endAt = started + MINUTES * 60_000;
    const inflight = new Set();
    let nextSample = started + SAMPLE_S * 1000;
    const interval = 1000 / RATE;
    let next = started;
    while (Date.now() < endAt) {
      const now = Date.now();
      if (now >= next) {
        const [, name, run] = choose();
        const t = pick(tenants);
        const p = Promise.resolve(run(t)).then((r) => {
          done++;
          window.push(r.ms);
          byOp[name] = byOp[name] || { n: 0, errors: 0 };
          byOp[name].n++;
          if (!r.status || r.status >= 400) {
            byOp[name].errors++;
            errors.push(
              `${name}: ${r.status || r.error} ${r.body ? JSON.stringify(r.body).slice(0, 160) : ''}`,
            );
          }
        });
        inflight.add(p);
        p.finally(() => inflight.delete(p));
        next += interval;
        continue;
      }
      if (now >= nextSample) {
        const m = await memory();
        const t = Math.round((now - started) / 1000);
        samples.push({ t, ...m });
        console.log(
          `  ${String(t).padStart(4)}  ${mb(m.rss).padStart(7)}  ${mb(m.heapUsed).padStart(7)}  ${String(done).padStart(9)}  ${String(errors.length).padStart(6)}  ${percentile(window, 50).toFixed(1).padStart(6)}  ${percentile(window, 99).toFixed(1).padStart(6)}`,
        );
        window = [];
        nextSample += SAMPLE_S * 1000;
        continue;
      }
      await sleep(Math.max(0, Math.min(next, nextSample) - Date.now()));
    }
    await Promise.all(inflight);
    const last = await memory();
    const tEnd = Math.round((Date.now() - started) / 1000);
    if (samples[samples.length - 1].t !== tEnd) {
      samples.push({ t: tEnd, ...last });
      console.log(
        `  ${String(tEnd).padStart(4)}  ${mb(last.rss).padStart(7)}  ${mb(last.heapUsed).padStart(7)}  ${String(done).padStart(9)}  ${String(errors.length).padStart(6)}  ${percentile(window, 50).toFixed(1).padStart(6)}  ${percentile(window, 99).toFixed(1).padStart(6)}`,
      );
    }

    // Second half: from the first sample at or after the midpoint to the last sample.
    const half = (MINUTES * 60) / 2;
    const mid = samples.find((s) => s.t >= half) || samples[0];
    const end = samples[samples.length - 1];
    const rssGrowth = (end.rss - mid.rss) / mid.rss;
    const heapGrowth = (end.heapUsed - mid.heapUsed) / mid.heapUsed;
    result = {
      pass: errors.length === 0 && rssGrowth < GROWTH_LIMIT && heapGrowth < GROWTH_LIMIT,
      database: db.kind,
      minutes: MINUTES,
      rate: RATE,
      requests: done,
      achievedRate: +(done / ((Date.now() - started) / 1000)).toFixed(1),
      errors: errors.length,
      racedWithDelete,
      retriedOnReusedSocket,
      firstErrors: errors.slice(0, 5),
      rssMb: {
        start: +mb(samples[0].rss),
        mid: +mb(mid.rss),
        end: +mb(end.rss),
        secondHalfGrowthPct: +(rssGrowth * 100).toFixed(1),
      },
      heapMb: {
        start: +mb(samples[0].heapUsed),
        mid: +mb(mid.heapUsed),
        end: +mb(end.heapUsed),
        secondHalfGrowthPct: +(heapGrowth * 100).toFixed(1),
      },
      operations: byOp,
    };
  } finally {
    child.kill('SIGTERM');
    const exit = await Promise.race([exited, sleep(20_000).then(() => ({ code: 'timeout' }))]);
    if (exit.code === 'timeout') child.kill('SIGKILL');
    result.exitCode = exit.code;
    agent.destroy();
    await db.drop().catch(() => undefined);
  }
  console.log(JSON.stringify(result, null, 2));
  console.log(
    result.pass ? 'soak: PASS' : 'soak: FAIL (errors, or memory grew ≥ 10% over the second half)',
  );
  process.exit(result.pass && result.exitCode === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(`soak: ${error.stack || error}`);
  process.exit(2);
});
