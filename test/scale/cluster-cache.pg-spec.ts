import { request } from 'node:http';
import { ADMIN_ENV } from '../support/actors';
import { createScratchDatabase } from '../support/databases';
import { AppProcess, call, ensureBuilt, startAppProcess } from './app-process';

/**
 * `npm run start:cluster` without Redis: each worker has its own in-memory cache. An
 * invalidation in one worker (a user deactivated) is relayed to the others over node:cluster
 * IPC, so no worker keeps serving the revoked user from its cache until the TTL.
 */
jest.setTimeout(120_000);

describe('cluster without Redis: invalidations reach every worker', () => {
  let app: AppProcess;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ensureBuilt();
    const scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL!, 'cluster');
    drop = scratch.drop;
    app = await startAppProcess(
      {
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        DATABASE_URL: scratch.url,
        DB_MIGRATE_ON_START: 'true',
        JWT_SECRET: 'cluster-secret-cluster-secret-0123456789',
        WEB_CONCURRENCY: '2',
        THROTTLE_LIMIT: '100000',
        SEARCH_THROTTLE_LIMIT: '100000',
        CACHE_TTL_SECONDS: '600',
        ...ADMIN_ENV,
      },
      60_000,
      'cluster',
    );
    // Both workers listening (the second is forked once the first listens).
    const listening = /Cornerstone listening/g;
    let seen = (app.output().match(listening) ?? []).length;
    app.child.stdout!.on(
      'data',
      (d: Buffer) => (seen += (String(d).match(listening) ?? []).length),
    );
    const deadline = Date.now() + 30_000;
    while (seen < 2) {
      if (Date.now() > deadline) throw new Error(`second worker not up:\n${app.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    await app?.stop();
    await drop?.();
  });

  /** GET on a fresh connection each time, so node:cluster spreads the calls over the workers. */
  const me = (token: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${app.url}/v1/auth/me`, {
        agent: false,
        headers: { authorization: `Bearer ${token}`, connection: 'close' },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });

  it('refuses a deactivated user in every worker at once', async () => {
    const email = `cluster-${Date.now()}@example.com`;
    const registered = await call(app.url, 'POST', '/v1/auth/register', {
      body: { email, password: 'Correct-Horse-9-Battery' },
    });
    expect(registered.status).toBe(201);
    const user = { id: registered.body.user.id, token: registered.body.accessToken };
    const admin = await call(app.url, 'POST', '/v1/auth/login', {
      body: { login: ADMIN_ENV.ADMIN_EMAIL, password: ADMIN_ENV.ADMIN_PASSWORD },
    });
    expect([200, 201]).toContain(admin.status);

    // Every worker caches the user.
    const before = await Promise.all(Array.from({ length: 20 }, () => me(user.token)));
    expect(before).toEqual(Array(20).fill(200));

    const off = await call(app.url, 'POST', `/v1/users/${user.id}/deactivate`, {
      token: admin.body.accessToken,
    });
    expect(off.status).toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 100)); // the IPC relay: primary → other worker

    const after = await Promise.all(Array.from({ length: 20 }, () => me(user.token)));
    expect(after).toEqual(Array(20).fill(401));
  });
});
