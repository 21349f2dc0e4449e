import { randomBytes } from 'node:crypto';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
type TestAgent = ReturnType<typeof request>;
import { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap';
import { Clock } from '../../src/common/clock/clock';
import { AppConfig, loadConfig } from '../../src/config';
import { createScratchDatabase } from './databases';
import { installResponseContract, OpenApiDocument, ResponseContract } from './response-contract';

export interface TestApp {
  app: NestFastifyApplication;
  http: TestAgent;
  db: DataSource;
  config: AppConfig;
  target: 'sqlite' | 'postgres';
  close: () => Promise<void>;
}

/** One compiled contract per test file: every app of a file serves the same document. */
let sharedContract: ResponseContract | undefined;

export const testTarget = (process.env.CORNERSTONE_TEST_TARGET ?? 'sqlite') as
  'sqlite' | 'postgres';

/**
 * The real Fastify app on a fresh database: SQLite in memory, or (e2e-postgres) a new
 * PostgreSQL database dropped on close, with its own Redis key prefix.
 */
export async function startTestApp(
  options: { env?: Record<string, string | undefined>; clock?: Clock; label?: string } = {},
): Promise<TestApp> {
  const env: Record<string, string | undefined> = {
    THROTTLE_LIMIT: '100000',
    SEARCH_THROTTLE_LIMIT: '100000',
    // Suites that sign in wrongly on purpose; test/auth-backoff.e2e-spec.ts sets the real limits.
    LOGIN_FREE_FAILURES_PER_ACCOUNT: '100000',
    LOGIN_FREE_FAILURES_PER_IP: '100000',
    ...options.env,
  };
  let drop = async () => undefined as void;
  if (testTarget === 'postgres' && !options.env?.DATABASE_URL) {
    const scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL!, options.label);
    env.DATABASE_URL = scratch.url;
    drop = scratch.drop;
  }
  if (process.env.REDIS_URL) env.REDIS_KEY_PREFIX = `cs-test-${randomBytes(4).toString('hex')}:`;
  const config = loadConfig({
    DB_MIGRATE_ON_START: 'true',
    JWT_SECRET: 'test-secret-test-secret-test-secret-0123',
    ...env,
  });
  const app = await createApp(config, { clock: options.clock });
  const fastify = app.getHttpAdapter().getInstance();
  // Every response is checked against the app's own OpenAPI document (response-contract.ts).
  const checked: { contract?: ResponseContract } = {};
  installResponseContract(fastify, () => checked.contract);
  await fastify.ready();
  if (!sharedContract) {
    const doc = await fastify.inject({ method: 'GET', url: '/docs-json' });
    sharedContract = new ResponseContract(doc.json<OpenApiDocument>());
  }
  checked.contract = sharedContract;
  return {
    app,
    http: request(app.getHttpServer()),
    db: app.get(DataSource),
    config,
    target: testTarget,
    close: async () => {
      await app.close();
      await drop();
    },
  };
}
