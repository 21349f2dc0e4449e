import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { Client } from 'pg';
import { createScratchDatabase } from '../support/databases';
import { freePort } from '../support/throwaway-servers';
import { ensureBuilt, spawnBuiltApp } from './built-app';
import { sleep, waitUntil } from './load';

/**
 * SIGTERM to the real built server (node dist/src/main) while 200 requests are in flight.
 * The requests are held in flight by a lock on the entities table taken from another
 * connection, so they are provably inside the app (waiting on PostgreSQL or the pool) when
 * the signal arrives; the lock is released after the listener has closed.
 */

jest.setTimeout(240_000);

const IN_FLIGHT = 200;
const SHUTDOWN_DELAY_MS = 1_000;
const SHUTDOWN_TIMEOUT_MS = 15_000;

interface Answer {
  status: number;
  body: string;
  error?: string;
}

function request(
  port: number,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<Answer> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', (e) =>
          resolve({ status: 0, body: text, error: (e as NodeJS.ErrnoException).code ?? e.message }),
        );
      },
    );
    req.on('error', (e) =>
      resolve({ status: 0, body: '', error: (e as NodeJS.ErrnoException).code ?? e.message }),
    );
    if (payload) req.write(payload);
    req.end();
  });
}

describe('graceful shutdown of the built server under load', () => {
  const adminUrl = process.env.TEST_DATABASE_URL!;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;

  beforeAll(async () => {
    ensureBuilt();
    scratch = await createScratchDatabase(adminUrl, 'shutdown');
  });
  afterAll(async () => {
    await scratch?.drop();
  });

  async function sessions(): Promise<number> {
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        'SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
        [scratch.name],
      );
      return rows[0].n;
    } finally {
      await admin.end();
    }
  }

  it('SIGTERM with 200 requests in flight: all complete, new connections refused, exit 0 within the drain timeout, no session left', async () => {
    const baseline = await sessions();
    const port = await freePort();
    const app = spawnBuiltApp({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: scratch.url,
      DB_MIGRATE_ON_START: 'true',
      DATABASE_POOL_SIZE: '10',
      DATABASE_POOL_TIMEOUT_MS: '30000',
      DATABASE_STATEMENT_TIMEOUT_MS: '30000',
      SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      JWT_SECRET: 'shutdown-secret-shutdown-secret-0123456789',
    });
    let locker: Client | null = null;
    let observer: Client | null = null;
    try {
      await waitUntil(
        async () => (await request(port, 'GET', '/health/ready')).status === 200,
        60_000,
        200,
      );
      const email = `drain-${randomUUID().slice(0, 8)}@example.com`;
      const registered = await request(port, 'POST', '/v1/auth/register', {
        email,
        password: 'Correct-Horse-9-Battery',
      });
      expect(registered.status).toBe(201);
      const token = JSON.parse(registered.body).accessToken as string;

      observer = new Client({ connectionString: adminUrl });
      await observer.connect();
      locker = new Client({ connectionString: scratch.url });
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE entities IN ACCESS EXCLUSIVE MODE');

      const names = Array.from(
        { length: IN_FLIGHT },
        (_, i) => `drain-${i}-${randomUUID().slice(0, 8)}`,
      );
      const settled: Answer[] = [];
      const inFlight = names.map((name) =>
        request(port, 'POST', '/v1/entities', { name }, token).then((a) => (settled.push(a), a)),
      );
      // In flight = the pool's 10 connections are waiting on the lock (the other 190 wait for the pool).
      // Polled from another connection: inside the locker's transaction pg_stat_activity is a frozen snapshot.
      await waitUntil(async () => {
        const { rows } = await observer!.query(
          `SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
          [scratch.name],
        );
        if (settled.length > 0)
          throw new Error(`a request finished before the signal: ${JSON.stringify(settled[0])}`);
        return rows[0].n >= 10;
      }, 30_000).catch((error) => {
        throw new Error(
          `${(error as Error).message}; settled early: ${settled.length} ${JSON.stringify(settled.slice(0, 2))}`,
        );
      });
      await sleep(500);

      const signalledAt = Date.now();
      app.child.kill('SIGTERM');
      await sleep(200);
      // Draining: readiness says 503 while the listener still accepts (SHUTDOWN_DELAY_MS).
      const ready = await request(port, 'GET', '/health/ready');
      expect(ready.status).toBe(503);
      // Then the listener closes: new connections are refused.
      await waitUntil(
        async () => (await request(port, 'GET', '/health/live')).error === 'ECONNREFUSED',
        SHUTDOWN_DELAY_MS + 5_000,
      );
      expect(app.child.exitCode).toBeNull();

      await locker.query('ROLLBACK');
      await locker.end();
      locker = null;

      const answers = await Promise.all(inFlight);
      const exit = await app.exited;
      const statuses = answers.reduce<Record<string, number>>((acc, a) => {
        const key = a.error ? `error ${a.error}` : String(a.status);
        acc[key] = (acc[key] ?? 0) + 1;
        return acc;
      }, {});
      process.stdout.write(
        `shutdown: ${JSON.stringify(statuses)}, exit ${exit.code} after ${exit.at - signalledAt} ms\n`,
      );
      expect(statuses).toEqual({ '201': IN_FLIGHT });
      expect(exit.code).toBe(0);
      expect(exit.at - signalledAt).toBeLessThan(SHUTDOWN_DELAY_MS + SHUTDOWN_TIMEOUT_MS);

      // Every acknowledged write is there, and the app left no session behind.
      const check = new Client({ connectionString: scratch.url });
      await check.connect();
      const { rows } = await check.query(
        'SELECT COUNT(*)::int AS n FROM entities WHERE name = ANY($1)',
        [names],
      );
      await check.end();
      expect(rows[0].n).toBe(IN_FLIGHT);
      await waitUntil(async () => (await sessions()) === baseline, 5_000);
    } catch (error) {
      process.stdout.write(`app output:\n${app.output().slice(-4000)}\n`);
      throw error;
    } finally {
      if (locker) await locker.end().catch(() => undefined);
      if (observer) await observer.end().catch(() => undefined);
      if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
    }
  });

  it('SIGTERM right after a burst of system events: every buffered event is written before exit', async () => {
    const port = await freePort();
    const app = spawnBuiltApp({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: scratch.url,
      DB_MIGRATE_ON_START: 'true',
      SHUTDOWN_DELAY_MS: '0',
      JWT_SECRET: 'shutdown-secret-shutdown-secret-0123456789',
    });
    const check = new Client({ connectionString: scratch.url });
    try {
      await waitUntil(
        async () => (await request(port, 'GET', '/health/ready')).status === 200,
        60_000,
        200,
      );
      const registered = await request(port, 'POST', '/v1/auth/register', {
        email: `events-${randomUUID().slice(0, 8)}@example.com`,
        password: 'Correct-Horse-9-Battery',
      });
      const token = JSON.parse(registered.body).accessToken as string;
      const entity = await request(port, 'POST', '/v1/entities', { name: 'Events' }, token);
      const entityId = JSON.parse(entity.body).id as string;
      // Each invitation is one 'member invited' event; 50 stay under the 200-event batch, so
      // they wait in the buffer for its 1 s timer, which the signal beats.
      const EVENTS = 50;
      const invites = await Promise.all(
        Array.from({ length: EVENTS }, (_, i) =>
          request(
            port,
            'POST',
            `/v1/entities/${entityId}/members`,
            { email: `invitee-${i}@example.com`, role: 'member' },
            token,
          ),
        ),
      );
      expect(invites.map((a) => a.status)).toEqual(Array(EVENTS).fill(202));
      await check.connect();
      const count = async () =>
        (
          await check.query(
            `SELECT COUNT(*)::int AS n FROM system_logs WHERE message = 'member invited' AND details->>'entityId' = $1`,
            [entityId],
          )
        ).rows[0].n as number;
      const before = await count();
      app.child.kill('SIGTERM');
      const exit = await app.exited;
      const after = await count();
      process.stdout.write(
        `system events: ${before} written before SIGTERM, ${after} of ${EVENTS} after exit ${exit.code}\n`,
      );
      expect(before).toBeLessThan(EVENTS); // some really were buffered when the signal came
      expect(after).toBe(EVENTS);
      expect(exit.code).toBe(0);
    } catch (error) {
      process.stdout.write(`app output:\n${app.output().slice(-4000)}\n`);
      throw error;
    } finally {
      await check.end().catch(() => undefined);
      if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
    }
  });
});
