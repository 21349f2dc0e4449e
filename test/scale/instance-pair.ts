import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { createScratchDatabase } from '../support/databases';
import { AppProcess, call, ensureBuilt, startAppProcess } from './app-process';

/**
 * Two app processes (`node dist/src/main`) on one fresh scratch PostgreSQL database and one
 * Redis key prefix and nothing else, as two instances behind a load balancer: the scale-out
 * suites' fixture.
 */
const adminUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL;

/** `describe`, or `describe.skip` saying why when PostgreSQL or Redis is not given. */
export function pairSuite(label: string): jest.Describe {
  if (adminUrl && redisUrl) return describe;
  process.stderr.write(
    `${label}: skipped: TEST_DATABASE_URL and TEST_REDIS_URL are required (two instances share PostgreSQL and Redis)\n`,
  );
  return describe.skip;
}

export interface InstancePair {
  a: AppProcess;
  b: AppProcess;
  /** A pool on the instances' database, for what the API does not show (rows, partitions). */
  db: Pool;
}

/**
 * Two instances started before the suite's tests (the first one migrates, the second starts on
 * the migrated database, as a rolling deploy does) and stopped after them: both must drain and
 * exit 0. `env` is added to both (intervals, limits, log level); `outputChars` is how much of
 * each one's output is kept.
 */
export function useTwoInstances(
  env: Record<string, string>,
  options: { outputChars?: number } = {},
): InstancePair {
  const pair = {} as InstancePair;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ensureBuilt();
    const scratch = await createScratchDatabase(adminUrl!, 'scale');
    drop = scratch.drop;
    const shared = {
      NODE_ENV: 'test',
      DATABASE_URL: scratch.url,
      REDIS_URL: redisUrl!,
      REDIS_KEY_PREFIX: `cs-scale-${randomBytes(4).toString('hex')}:`,
      JWT_SECRET: 'scale-secret-scale-secret-scale-secret-0123',
      ...env,
    };
    const start = (migrate: boolean) =>
      startAppProcess({ ...shared, DB_MIGRATE_ON_START: String(migrate) }, 30_000, 'main', options);
    pair.a = await start(true);
    pair.b = await start(false);
    pair.db = new Pool({ connectionString: scratch.url, max: 2 });
  }, 120_000);
  afterAll(async () => {
    const codes = await Promise.all([pair.a?.stop(), pair.b?.stop()]);
    await pair.db?.end();
    await drop?.();
    expect(codes).toEqual([0, 0]); // both drain and exit 0 on SIGTERM
  }, 30_000);
  return pair;
}

/** Registers a fresh user through `base`: its id and access token. */
export async function register(base: string, tag: string) {
  const email = `${tag}-${randomBytes(3).toString('hex')}@example.com`;
  const r = await call(base, 'POST', '/v1/auth/register', {
    body: { email, password: 'correct horse battery' },
  });
  expect(r.status).toBe(201);
  return {
    id: r.body.user.id as string,
    token: r.body.accessToken as string,
    refreshToken: r.body.refreshToken as string,
  };
}
