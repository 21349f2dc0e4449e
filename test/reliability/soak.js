#!/usr/bin/env node
/**
 * Soak: `npm run soak -- --minutes 10 [--rate 40] [--sample-seconds 30] [--pg postgres://…/postgres]`
 *
 * Starts the built app (`node dist/src/main`, NODE_ENV=production) on loopback, drives a
 * mixed workload at a fixed rate (open loop: requests are sent on schedule whether or not
 * earlier ones have finished), and every --sample-seconds prints the app's RSS and heap
 * (measured inside the app after a full GC) with the window's latency and error counts.
 * The mix covers every module: auth (login, logout, refresh-token rotation, sessions), users,
 * entities (If-Match PATCHes, members), leads (Idempotency-Key creates with replays), tasks
 * (users create, workers with `tasks:work` keys claim, heartbeat, log, complete and fail),
 * billing (a signed webhook puts the tenants on a paid plan; API-key reads), crawls, analytics,
 * the platform admin's routes, `/metrics` and readiness. At the end: a table per operation.
 *
 * Pass: 0 errors, and RSS and heap each grow < 10% over the second half of the run.
 * Database: PostgreSQL when --pg (or TEST_DATABASE_URL) is given (a scratch database,
 * dropped afterwards), else the embedded SQLite in a temp file. Plain JS: no build of its own.
 */
'use strict';

const { spawn, execFileSync } = require('node:child_process');
const { createHmac, randomUUID } = require('node:crypto');
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
const ADMIN_EMAIL = 'soak-admin@example.com';
const ADMIN_PASSWORD = 'Soak-Admin-Password-9-Battery';
const METRICS_TOKEN = randomUUID();
const WEBHOOK_SECRET = randomUUID();
/** The Lemon Squeezy variant the soak maps to the enterprise plan (an operator's step). */
const ENTERPRISE_VARIANT = 990001;
const REDIS_PREFIX = `cs-soak-${randomUUID().slice(0, 8)}:`;

/** Deletes the run's Redis keys (the cache epoch has no TTL, so it would stay for good). */
async function dropRedisKeys() {
  if (!process.env.SOAK_REDIS_URL) return;
  const Redis = require('ioredis');
  const redis = new Redis(process.env.SOAK_REDIS_URL, { lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

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
async function call(method, url, body, token, headers = {}) {
  const first = await attempt(method, url, body, token, headers);
  if (first.status === 0 && first.error === 'ECONNRESET' && first.reused) {
    retriedOnReusedSocket++;
    return attempt(method, url, body, token, headers);
  }
  return first;
}
/** `body` is sent as JSON; a string is sent as it is (a signed webhook needs its exact bytes). */
function attempt(method, url, body, token, headers) {
  return new Promise((resolve) => {
    const payload =
      body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
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
          ...headers,
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
            headers: res.headers,
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
    const file = path.join(dir, 'soak.sqlite');
    return {
      url: `sqlite:${file}`,
      kind: 'sqlite',
      exec: async (sql) => {
        const Database = require('better-sqlite3');
        const conn = new Database(file);
        try {
          conn.exec(sql);
        } finally {
          conn.close();
        }
      },
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
    exec: async (sql) => {
      const c = new Client({ connectionString: url.toString() });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    },
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
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        METRICS_TOKEN,
        LEMON_SQUEEZY_WEBHOOK_SECRET: WEBHOOK_SECRET,
        SEARCH_THROTTLE_LIMIT: '1000000',
        ...(process.env.SOAK_REDIS_URL
          ? {
              REDIS_URL: process.env.SOAK_REDIS_URL,
              REDIS_KEY_PREFIX: REDIS_PREFIX,
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

    const must = (what, r, status) => {
      if (r.status !== status)
        throw new Error(`${what}: ${r.status || r.error} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const login = async (email, password) =>
      must('login', await call('POST', '/v1/auth/login', { login: email, password }), 200);
    // The platform admin comes from ADMIN_EMAIL/ADMIN_PASSWORD (created at start).
    const adminSession = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
    const admin = {
      token: adminSession.accessToken,
      refreshToken: adminSession.refreshToken,
      chain: Promise.resolve(),
    };
    // Paid plans arrive through the signed Lemon Squeezy webhook; mapping a variant to a plan is
    // the operator's step (README "Billing and API keys"). Enterprise: 50 open tasks, 25,000 CU.
    await db.exec(
      `UPDATE subscription_plans SET lemon_squeezy_variant_id = '${ENTERPRISE_VARIANT}' WHERE id = 'enterprise'`,
    );

    // Tenants: 4 users, each owning an entity with a few leads and crawls, on the enterprise plan,
    // with a worker key (tasks:work) and a read key (every read scope).
    const tenants = [];
    for (let i = 0; i < 4; i++) {
      const email = `soak-${i}-${randomUUID().slice(0, 6)}@example.com`;
      const password = 'Correct-Horse-9-Battery';
      const reg = must(
        'register',
        await call('POST', '/v1/auth/register', { email, password }),
        201,
      );
      const token = reg.accessToken;
      const ent = must(
        'entity',
        await call('POST', '/v1/entities', { name: `Soak ${i}` }, token),
        201,
      );
      const raw = JSON.stringify({
        meta: { event_name: 'subscription_created', custom_data: { user_id: reg.user.id } },
        data: {
          type: 'subscriptions',
          id: `ls-soak-${i}`,
          attributes: {
            variant_id: ENTERPRISE_VARIANT,
            renews_at: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          },
        },
      });
      must(
        'webhook',
        await call('POST', '/v1/billing/webhooks/lemonsqueezy', raw, undefined, {
          'x-signature': createHmac('sha256', WEBHOOK_SECRET).update(raw).digest('hex'),
        }),
        200,
      );
      const key = async (name, scopes) =>
        must('api key', await call('POST', '/v1/api-keys', { name, scopes }, token), 201).key;
      tenants.push({
        email,
        password,
        userId: reg.user.id,
        token,
        refreshToken: reg.refreshToken,
        chain: Promise.resolve(),
        entityId: ent.id,
        staleEtag: null,
        leads: [],
        crawls: [],
        analyses: [],
        toolGenerations: [],
        pendingTasks: 0,
        tasks: [],
        running: [],
        workerKey: await key('soak worker', ['tasks:work']),
        readKey: await key('soak reader', [
          'tasks:read',
          'leads:read',
          'crawls:read',
          'analytics:read',
        ]),
      });
    }
    let seq = 0;
    const leadBody = () => ({
      firstName: 'Soak',
      lastName: `Lead${seq}`,
      email: `lead-${seq++}-${randomUUID().slice(0, 6)}@example.com`,
    });
    /** A create's answer, its id kept in `list` when it created something. */
    const remember = (list, r) => {
      if (r.status === 201) list.push(r.body.id);
      return r;
    };
    /** `fn` on the oldest id taken from `list`, or the list route when there is none yet. */
    const withNext = (list, listUrl, token, fn) => {
      const id = list.shift();
      return id ? fn(id) : call('GET', listUrl, undefined, token);
    };
    const newLead = async (t, headers) =>
      remember(
        t.leads,
        await call('POST', `/v1/entities/${t.entityId}/leads`, leadBody(), t.token, headers),
      );
    const newCrawl = async (t) =>
      remember(
        t.crawls,
        await call(
          'POST',
          `/v1/entities/${t.entityId}/crawls`,
          { websiteUrl: `https://site-${seq++}.example.com/`, companyName: `Company ${seq}` },
          t.token,
        ),
      );
    for (const t of tenants) {
      for (let i = 0; i < 20; i++) await newLead(t);
      for (let i = 0; i < 5; i++) await newCrawl(t);
    }

    const pick = (list) => list[Math.floor(Math.random() * list.length)];
    /** Runs `fn` after the actor's previous serialised step: one refresh token, one entity tag. */
    const serial = (actor, fn) => {
      const p = actor.chain.then(fn);
      actor.chain = p.then(
        () => undefined,
        () => undefined,
      );
      return p;
    };
    /** A deliberate failure of the soak's own check (not an HTTP status): always an error. */
    const broken = (r, why) => ({ ...r, status: 0, error: why });
    // Open loop: a read or update of a lead can still be in flight when another request deletes it.
    // A 404 for a lead this run deleted is that race, not an error. Likewise a worker's heartbeat
    // or log line still in flight when the same task's complete wins answers 409: a race.
    const deleted = new Set();
    const finished = new Set();
    let racedWithDelete = 0;
    let racedWithComplete = 0;
    const onLead = async (t, run) => {
      const id = pick(t.leads);
      const r = await run(id);
      if (r.status === 404 && deleted.has(id)) {
        racedWithDelete++;
        return { ...r, status: 200 };
      }
      return r;
    };
    const onRunning = async (t, run) => {
      const id = pick(t.running);
      if (!id) return claim(t);
      const r = await run(id);
      if (r.status === 409 && finished.has(id)) {
        racedWithComplete++;
        return { ...r, status: 200 };
      }
      return r;
    };
    const TASK_CONFIG = {
      targetUrl: 'https://example.com/products',
      containerSelector: '.product',
      fields: { title: { type: 'text', selector: 'h2' } },
      maxPages: 3,
    };
    const claim = async (t) => {
      const r = await call(
        'POST',
        '/v1/tasks/claim',
        { workerId: `soak-worker-${t.userId.slice(0, 8)}`, leaseSeconds: 600 },
        undefined,
        { 'x-api-key': t.workerKey },
      );
      if (r.status === 200) {
        t.pendingTasks--;
        t.running.push(r.body.id);
      }
      return r;
    };
    const worker = (t) => `soak-worker-${t.userId.slice(0, 8)}`;
    /**
     * Takes one of the tenant's running tasks and ends the run (`complete` or `fail`). Marked
     * finished before the request, so a heartbeat or log line racing with it is recognised.
     */
    const endRun = async (t, action, body, after = () => undefined) => {
      if (!t.running.length) return claim(t);
      const id = t.running.splice(Math.floor(Math.random() * t.running.length), 1)[0];
      finished.add(id);
      const r = await call(
        'POST',
        `/v1/tasks/${id}/${action}`,
        { workerId: worker(t), ...body },
        undefined,
        { 'x-api-key': t.workerKey },
      );
      after(r);
      return r;
    };
    const refresh = (actor) =>
      serial(actor, async () => {
        const r = await call('POST', '/v1/auth/refresh', { refreshToken: actor.refreshToken });
        if (r.status === 200) {
          actor.token = r.body.accessToken;
          actor.refreshToken = r.body.refreshToken;
        }
        return r;
      });
    let staleRefused = 0;
    /**
     * GET the entity for its tag, PATCH it with If-Match; one in five first sends the tag the
     * previous PATCH made stale, which must be refused with 412 and change nothing.
     */
    const patchEntity = (t) =>
      serial(t, async () => {
        const got = await call('GET', `/v1/entities/${t.entityId}`, undefined, t.token);
        if (got.status !== 200) return got;
        const tag = got.headers.etag;
        if (t.staleEtag && Math.random() < 0.2) {
          const stale = await call(
            'PATCH',
            `/v1/entities/${t.entityId}`,
            { name: `Stale ${seq++}` },
            t.token,
            { 'if-match': t.staleEtag },
          );
          if (stale.status !== 412) return broken(stale, `stale If-Match answered ${stale.status}`);
          staleRefused++;
        }
        const r = await call(
          'PATCH',
          `/v1/entities/${t.entityId}`,
          { name: `Soak ${seq++}` },
          t.token,
          { 'if-match': tag },
        );
        if (r.status === 200) {
          if (r.headers.etag === tag) return broken(r, 'PATCH did not change the ETag');
          t.staleEtag = tag;
        }
        return { ...r, ms: got.ms + r.ms };
      });
    let replays = 0;
    /** A create with an Idempotency-Key; one in five is sent twice and must be replayed. */
    const idempotentLead = async (t) => {
      const key = randomUUID();
      const body = leadBody();
      const url = `/v1/entities/${t.entityId}/leads`;
      const first = await call('POST', url, body, t.token, { 'idempotency-key': key });
      if (first.status !== 201 || first.headers['idempotent-replayed'] !== undefined)
        return first.status === 201 ? broken(first, 'first request marked replayed') : first;
      t.leads.push(first.body.id);
      if (Math.random() >= 0.2) return first;
      const again = await call('POST', url, body, t.token, { 'idempotency-key': key });
      replays++;
      if (again.status !== 201) return again;
      if (again.headers['idempotent-replayed'] !== 'true' || again.body.id !== first.body.id)
        return broken(again, 'replay not marked Idempotent-Replayed or a new id');
      return { ...again, ms: first.ms + again.ms };
    };
    const today = () => new Date().toISOString().slice(0, 10);

    /** [weight, name, run, ok?]: `ok` lists the statuses that count as success (default 200, 201, 204). */
    const mix = [
      // Leads (and entities, auth)
      [
        14,
        'list leads',
        (t) => call('GET', `/v1/entities/${t.entityId}/leads?limit=20`, undefined, t.token),
      ],
      [
        8,
        'get lead',
        (t) =>
          onLead(t, (id) =>
            call('GET', `/v1/entities/${t.entityId}/leads/${id}`, undefined, t.token),
          ),
      ],
      [6, 'create lead', (t) => newLead(t)],
      [
        5,
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
      [4, 'create lead (Idempotency-Key)', (t) => idempotentLead(t)],
      [
        3,
        'search leads',
        (t) => call('GET', `/v1/entities/${t.entityId}/leads?search=lead1`, undefined, t.token),
      ],
      [
        3,
        'delete lead',
        async (t) => {
          if (t.leads.length < 30) return newLead(t);
          const id = t.leads.splice(Math.floor(Math.random() * t.leads.length), 1)[0];
          deleted.add(id);
          return call('DELETE', `/v1/entities/${t.entityId}/leads/${id}`, undefined, t.token);
        },
      ],
      [
        3,
        'lead stats',
        (t) => call('GET', `/v1/entities/${t.entityId}/leads/stats`, undefined, t.token),
      ],
      [
        4,
        'list leads (API key)',
        (t) =>
          call('GET', `/v1/entities/${t.entityId}/leads?limit=20`, undefined, undefined, {
            'x-api-key': t.readKey,
          }),
      ],
      [2, 'list entities', (t) => call('GET', '/v1/entities', undefined, t.token)],
      [3, 'patch entity (If-Match)', (t) => patchEntity(t)],
      [
        1,
        'list members',
        (t) => call('GET', `/v1/entities/${t.entityId}/members`, undefined, t.token),
      ],
      [
        1,
        'invite member',
        (t) =>
          call(
            'POST',
            `/v1/entities/${t.entityId}/members`,
            { email: `invitee-${t.userId.slice(0, 6)}@example.com`, role: 'member' },
            t.token,
          ),
        [202],
      ],
      [5, 'me', (t) => call('GET', '/v1/auth/me', undefined, t.token)],
      [1, 'get user', (t) => call('GET', `/v1/users/${t.userId}`, undefined, t.token)],
      [3, 'refresh', (t) => refresh(Math.random() < 0.2 ? admin : t)],
      [1, 'list sessions', (t) => call('GET', '/v1/auth/sessions', undefined, t.token)],
      [1, 'login', (t) => call('POST', '/v1/auth/login', { login: t.email, password: t.password })],
      [
        1,
        'login + logout',
        async (t) => {
          const r = await call('POST', '/v1/auth/login', { login: t.email, password: t.password });
          if (r.status !== 200) return r;
          const out = await call('POST', '/v1/auth/logout', undefined, r.body.accessToken);
          return { ...out, ms: r.ms + out.ms };
        },
      ],
      // Tasks: users create, workers (tasks:work keys) claim, beat, log and complete.
      [
        4,
        'create task',
        async (t) => {
          if (t.pendingTasks + t.running.length >= 40) return claim(t);
          const r = await call(
            'POST',
            '/v1/tasks',
            {
              name: `Soak ${seq++}`,
              config: TASK_CONFIG,
              priority: Math.floor(Math.random() * 10),
            },
            t.token,
          );
          if (r.status === 201) {
            t.pendingTasks++;
            t.tasks.push(r.body.id);
            if (t.tasks.length > 200) t.tasks.shift();
          }
          return r;
        },
      ],
      [2, 'list tasks', (t) => call('GET', '/v1/tasks?limit=20', undefined, t.token)],
      [
        2,
        'get task',
        (t) =>
          t.tasks.length
            ? call('GET', `/v1/tasks/${pick(t.tasks)}`, undefined, t.token)
            : call('GET', '/v1/tasks', undefined, t.token),
      ],
      [2, 'list tasks (API key)', (t) => call('GET', '/v1/tasks?limit=20', undefined, t.readKey)],
      [5, 'worker claim', (t) => claim(t)],
      [
        2,
        'worker heartbeat',
        (t) =>
          onRunning(t, (id) =>
            call('POST', `/v1/tasks/${id}/heartbeat`, { workerId: worker(t) }, undefined, {
              'x-api-key': t.workerKey,
            }),
          ),
      ],
      [
        2,
        'worker logs (batch)',
        (t) =>
          onRunning(t, (id) =>
            call(
              'POST',
              `/v1/tasks/${id}/logs`,
              {
                workerId: worker(t),
                entries: [
                  { level: 'info', message: 'page 1' },
                  { level: 'debug', message: 'page 2', metadata: { items: 20 } },
                  { level: 'info', message: 'page 3' },
                ],
              },
              undefined,
              { 'x-api-key': t.workerKey },
            ),
          ),
      ],
      [4, 'worker complete', (t) => endRun(t, 'complete', { result: { items: 60 } })],
      [
        1,
        'worker fail (retryable)',
        (t) =>
          endRun(t, 'fail', { error: 'soak: site timed out', retryable: true }, (r) => {
            // Back in the queue while attempts are left (max 3), else failed for good.
            if (r.status === 200 && r.body.status === 'pending') t.pendingTasks++;
          }),
      ],
      [
        1,
        'task logs',
        (t) =>
          t.tasks.length
            ? call('GET', `/v1/tasks/${pick(t.tasks)}/logs`, undefined, t.token)
            : call('GET', '/v1/tasks', undefined, t.token),
      ],
      // Billing
      [2, 'subscription', (t) => call('GET', '/v1/billing/subscription', undefined, t.token)],
      [1, 'CU ledger', (t) => call('GET', '/v1/billing/usage?limit=20', undefined, t.token)],
      [1, 'plans', () => call('GET', '/v1/billing/plans')],
      [1, 'list API keys', (t) => call('GET', '/v1/api-keys', undefined, t.token)],
      // Crawls
      [2, 'create crawl', (t) => newCrawl(t)],
      [
        3,
        'list crawls',
        (t) => call('GET', `/v1/entities/${t.entityId}/crawls?limit=20`, undefined, t.token),
      ],
      [
        2,
        'search crawls',
        (t) => call('GET', `/v1/entities/${t.entityId}/crawls?q=company`, undefined, t.token),
      ],
      [
        2,
        'get crawl (API key)',
        (t) =>
          call('GET', `/v1/entities/${t.entityId}/crawls/${pick(t.crawls)}`, undefined, t.readKey),
      ],
      [
        2,
        'update crawl',
        (t) =>
          call(
            'PATCH',
            `/v1/entities/${t.entityId}/crawls/${pick(t.crawls)}`,
            { seoScore: Math.round(Math.random() * 100) / 100 },
            t.token,
          ),
      ],
      [
        1,
        'crawl stats',
        (t) => call('GET', `/v1/entities/${t.entityId}/crawls/stats`, undefined, t.token),
      ],
      // Analytics
      [
        2,
        'usage',
        (t) => call('GET', `/v1/analytics/usage?from=${today()}&to=${today()}`, undefined, t.token),
      ],
      [
        1,
        'create analysis',
        async (t) =>
          remember(
            t.analyses,
            await call(
              'POST',
              '/v1/analyses',
              {
                name: `Prices ${seq++}`,
                analysisType: 'summary',
                parameters: { column: 'price' },
                entityId: t.entityId,
              },
              t.token,
            ),
          ),
      ],
      [
        1,
        'complete analysis',
        (t) =>
          withNext(t.analyses, '/v1/analyses?limit=20', t.token, async (id) => {
            const r = await call(
              'PATCH',
              `/v1/analyses/${id}`,
              { status: 'completed', result: { mean: 4.2 } },
              t.token,
            );
            if (r.status !== 200) return r;
            // A completed analysis is then served from the cache (analysis_result:{id}).
            const got = await call('GET', `/v1/analyses/${id}`, undefined, t.token);
            return { ...got, ms: r.ms + got.ms };
          }),
      ],
      [1, 'list analyses', (t) => call('GET', '/v1/analyses?limit=20', undefined, t.token)],
      [
        1,
        'create tool generation',
        async (t) =>
          remember(
            t.toolGenerations,
            await call(
              'POST',
              '/v1/tool-generations',
              { toolType: 'scraper', config: { url: 'https://example.com' } },
              t.token,
            ),
          ),
      ],
      [
        1,
        'complete tool generation',
        (t) =>
          withNext(t.toolGenerations, '/v1/tool-generations', t.token, (id) =>
            call(
              'PATCH',
              `/v1/tool-generations/${id}`,
              { status: 'completed', result: { code: 'print(1)' } },
              t.token,
            ),
          ),
      ],
      // Platform admin and operations
      [1, 'admin stats', () => call('GET', '/v1/admin/stats', undefined, admin.token)],
      [
        1,
        'admin system logs',
        () => call('GET', '/v1/admin/system-logs?limit=20', undefined, admin.token),
      ],
      [1, 'metrics scrape', () => call('GET', '/metrics', undefined, METRICS_TOKEN)],
      [2, 'readiness', () => call('GET', '/health/ready')],
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
        const [, name, run, ok = [200, 201, 204]] = choose();
        const t = pick(tenants);
        const p = Promise.resolve(run(t)).then((r) => {
          done++;
          window.push(r.ms);
          const op = (byOp[name] = byOp[name] || { n: 0, errors: 0, ms: [] });
          op.n++;
          op.ms.push(r.ms);
          if (!ok.includes(r.status)) {
            op.errors++;
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
      replays,
      staleRefused,
      racedWithComplete,
      operations: Object.fromEntries(
        Object.entries(byOp)
          .sort((a, b) => b[1].n - a[1].n)
          .map(([name, op]) => [
            name,
            {
              n: op.n,
              errors: op.errors,
              p50: +percentile(op.ms, 50).toFixed(1),
              p99: +percentile(op.ms, 99).toFixed(1),
            },
          ]),
      ),
    };
    console.log('\n  operation                          count  errors  p50 ms  p99 ms');
    for (const [name, op] of Object.entries(result.operations))
      console.log(
        `  ${name.padEnd(32)} ${String(op.n).padStart(7)}  ${String(op.errors).padStart(6)}  ${op.p50.toFixed(1).padStart(6)}  ${op.p99.toFixed(1).padStart(6)}`,
      );
  } finally {
    child.kill('SIGTERM');
    const exit = await Promise.race([exited, sleep(20_000).then(() => ({ code: 'timeout' }))]);
    if (exit.code === 'timeout') child.kill('SIGKILL');
    result.exitCode = exit.code;
    agent.destroy();
    await db.drop().catch(() => undefined);
    await dropRedisKeys().catch((e) => console.error(`soak: Redis keys left: ${e.message}`));
  }
  // The per-operation table is printed above; the summary keeps it on one line per operation.
  const { operations, ...summary } = result;
  console.log(JSON.stringify(summary, null, 2));
  if (operations)
    console.log(
      `operations: {\n${Object.entries(operations)
        .map(([name, op]) => `  ${JSON.stringify(name)}: ${JSON.stringify(op)}`)
        .join(',\n')}\n}`,
    );
  console.log(
    result.pass ? 'soak: PASS' : 'soak: FAIL (errors, or memory grew ≥ 10% over the second half)',
  );
  process.exit(result.pass && result.exitCode === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(`soak: ${error.stack || error}`);
  process.exit(2);
});
