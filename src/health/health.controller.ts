import { Controller, Get, OnModuleInit, Res, ServiceUnavailableException } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { FastifyReply } from 'fastify';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import {
  HealthIndicatorFunction,
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  MongooseHealthIndicator,
} from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CacheService } from '../cache/cache.service';
import { Admin, Public } from '../common/auth/access';
import { AppConfig } from '../config/app-config';
import { AllowPendingMigrations, MIGRATE_UP } from '../database/migrations-gate';
import { ShutdownState } from './shutdown-state';

interface CheckResult {
  code: 200 | 503;
  body: unknown;
}

@ApiTags('health')
@Public()
// Probes come from the orchestrator and load balancers, often all from one address: never throttle them.
@SkipThrottle()
@AllowPendingMigrations()
@Controller('health')
export class HealthController implements OnModuleInit {
  /** Once every migration has been seen applied, stop asking: new ones arrive with a restart. */
  private migrationsApplied = false;
  /**
   * Resolved only when MONGO_URL is set: constructing the indicator requires mongoose, whose
   * loading costs ~0.3–0.4 s of cold start in deployments without MongoDB.
   */
  private mongoose: MongooseHealthIndicator | null = null;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly typeorm: TypeOrmHealthIndicator,
    private readonly moduleRef: ModuleRef,
    private readonly cache: CacheService,
    private readonly shutdown: ShutdownState,
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.mongo) {
      this.mongoose = await this.moduleRef.resolve(MongooseHealthIndicator, undefined, {
        strict: false,
      });
    }
  }

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up (no I/O)' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['ok'] } },
    },
  })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: database, Mongo and Redis when configured, no pending migrations',
    description:
      '503 when the database is down or migrations are pending; Redis or MongoDB down leaves it 200 with status "degraded".',
  })
  ready(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.check(reply);
  }

  /**
   * Every dependency's details: platform admins, or `X-Health-Token: HEALTH_DETAILS_TOKEN`
   * (monitoring). Throttled like the API, unlike the probes.
   */
  @Get()
  @Admin({ token: 'health-details' })
  @SkipThrottle({ default: false })
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness with details (admins, or the X-Health-Token header)',
    description:
      'The same checks as /health/ready, run afresh. Platform admins, or a request whose X-Health-Token header equals HEALTH_DETAILS_TOKEN.',
  })
  details(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.check(reply, true);
  }

  /** The run of the readiness checks in flight, shared by every probe that arrives meanwhile. */
  private readyRun: Promise<CheckResult> | null = null;

  /**
   * Down → 503 with Terminus' own body (status, info, error, details), not problem+json.
   * Readiness is public, so a flood of probes costs one run of the checks at a time (they share
   * the one in flight); `/health` (details) always runs its own.
   */
  private async check(reply: FastifyReply, fresh = false) {
    if (this.shutdown.draining) {
      const down = { shutdown: { status: 'down', message: 'The server is shutting down' } };
      reply.status(503);
      return { status: 'error', info: {}, error: down, details: down };
    }
    let run: Promise<CheckResult>;
    if (fresh) run = this.runOnce();
    else {
      run = this.readyRun ??= this.runOnce().finally(() => (this.readyRun = null));
    }
    const { code, body } = await run;
    reply.status(code);
    return body;
  }

  private async runOnce(): Promise<CheckResult> {
    try {
      return { code: 200, body: await this.runChecks() };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      return { code: 503, body: error.getResponse() };
    }
  }

  private runChecks() {
    const timeout = Math.min(this.config.database.statementTimeoutMs, 3_000);
    const checks: HealthIndicatorFunction[] = [
      () => this.typeorm.pingCheck('database', { connection: this.dataSource, timeout }),
      () => this.migrations(),
      () => this.redis(),
    ];
    if (this.mongoose) checks.push(() => this.mongo(this.mongoose!, timeout));
    return this.health.check(checks);
  }

  /** MongoDB down degrades readiness (200, status "degraded") instead of failing it. */
  private async mongo(indicator: MongooseHealthIndicator, timeout: number) {
    const { mongo } = await indicator.pingCheck('mongo', { timeout });
    const { status, ...data } = mongo;
    return status === 'down' ? this.indicator.check('mongo').degraded(data) : { mongo };
  }

  private async migrations() {
    const check = this.indicator.check('migrations');
    if (this.migrationsApplied) return check.up({ pending: 0 });
    try {
      const pending = await this.dataSource.showMigrations();
      if (pending)
        return check.down({
          pending: true,
          message: `Pending migrations: run ${MIGRATE_UP}`,
        });
      this.migrationsApplied = true;
      return check.up({ pending: 0 });
    } catch {
      return check.down({ message: 'Could not read the migrations table' });
    }
  }

  /** Redis down marks the cache degraded but keeps the app ready: it serves without it. */
  private async redis() {
    const check = this.indicator.check('cache');
    const health = await this.cache.ping();
    return health.store === 'memory+redis' && health.redis === 'down'
      ? check.degraded({ ...health })
      : check.up({ ...health });
  }
}
