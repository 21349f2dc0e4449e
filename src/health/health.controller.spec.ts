import { Test } from '@nestjs/testing';
import {
  HealthIndicatorService,
  MongooseHealthIndicator,
  TerminusModule,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import { CacheService, CacheHealth } from '../cache/cache.service';
import { AppConfig } from '../config/app-config';
import { loadConfig } from '../config';
import { HealthController } from './health.controller';
import { ShutdownState } from './shutdown-state';

/**
 * Readiness rules: 503 only when the primary database or the migrations fail; an optional
 * dependency (Redis, MongoDB) that is down makes the answer 200 with status "degraded".
 * MongoDB has no server in the test environments, so its path is covered here with stubs.
 */
describe('HealthController readiness', () => {
  const up = {
    database: true,
    migrationsPending: false,
    cache: 'up' as 'up' | 'down',
    mongo: true,
  };
  let state: typeof up;

  async function controller(env: Record<string, string | undefined> = {}) {
    const indicators = new HealthIndicatorService();
    const ping = (key: string, ok: () => boolean) =>
      indicators.check(key).attempt(() => {
        if (!ok()) throw new Error(`${key} unreachable`);
      });
    const cacheHealth = (): CacheHealth =>
      env.REDIS_URL ? { store: 'memory+redis', redis: state.cache } : { store: 'memory' };
    const moduleRef = await Test.createTestingModule({
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [
        ShutdownState,
        { provide: AppConfig, useValue: loadConfig({ MONGO_URL: undefined, ...env }) },
        { provide: CacheService, useValue: { ping: () => Promise.resolve(cacheHealth()) } },
        {
          provide: getDataSourceToken(),
          useValue: { showMigrations: () => Promise.resolve(state.migrationsPending) },
        },
      ],
    })
      .overrideProvider(TypeOrmHealthIndicator)
      .useValue({ pingCheck: (key: string) => ping(key, () => state.database) })
      .overrideProvider(MongooseHealthIndicator)
      .useValue({ pingCheck: (key: string) => ping(key, () => state.mongo) })
      .compile();
    await moduleRef.init();
    return moduleRef.get(HealthController);
  }

  async function ready(c: HealthController) {
    let code = 200;
    const reply = {
      status: (s: number) => {
        code = s;
        return reply;
      },
    } as unknown as FastifyReply;
    const body = (await c.ready(reply)) as {
      status: string;
      info: Record<string, Record<string, unknown>>;
      error: Record<string, Record<string, unknown>>;
    };
    return { code, body };
  }

  beforeEach(() => {
    state = { ...up };
  });

  it('is ok with every dependency up, with a response time per ping', async () => {
    const { code, body } = await ready(
      await controller({ REDIS_URL: 'redis://127.0.0.1:6379', MONGO_URL: 'mongodb://x' }),
    );
    expect(code).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.info.database).toEqual({ status: 'up', responseTime: expect.any(Number) });
    expect(body.info.migrations).toEqual({ status: 'up', pending: 0 });
    expect(body.info.cache).toEqual({ status: 'up', store: 'memory+redis', redis: 'up' });
    expect(body.info.mongo).toEqual({ status: 'up', responseTime: expect.any(Number) });
  });

  it('stays 200 but degraded when Redis is down', async () => {
    state.cache = 'down';
    const { code, body } = await ready(await controller({ REDIS_URL: 'redis://127.0.0.1:6379' }));
    expect(code).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.info.cache).toEqual({ status: 'degraded', store: 'memory+redis', redis: 'down' });
    expect(body.error).toEqual({});
  });

  it('stays 200 but degraded when MongoDB is down', async () => {
    state.mongo = false;
    const { code, body } = await ready(await controller({ MONGO_URL: 'mongodb://x' }));
    expect(code).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.info.mongo).toEqual({
      status: 'degraded',
      message: 'mongo unreachable',
      responseTime: expect.any(Number),
    });
  });

  it('answers 503 when the database is down, whatever the optional dependencies say', async () => {
    state = { database: false, migrationsPending: false, cache: 'down', mongo: false };
    const { code, body } = await ready(
      await controller({ REDIS_URL: 'redis://127.0.0.1:6379', MONGO_URL: 'mongodb://x' }),
    );
    expect(code).toBe(503);
    expect(body.status).toBe('error');
    expect(body.error.database).toMatchObject({ status: 'down', message: 'database unreachable' });
    expect(body.info.mongo.status).toBe('degraded');
  });

  it('answers 503 while migrations are pending', async () => {
    state.migrationsPending = true;
    const { code, body } = await ready(await controller());
    expect(code).toBe(503);
    expect(body.error.migrations).toMatchObject({ status: 'down', pending: true });
  });
});
