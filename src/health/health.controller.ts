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
import { Public } from '../common/auth/access';
import { AppConfig } from '../config/app-config';
import { AllowPendingMigrations, MIGRATE_UP } from '../database/migrations-gate';
import { ShutdownState } from './shutdown-state';

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

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness with details' })
  details(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.check(reply);
  }

  /** Down → 503 with Terminus' own body (status, info, error, details), not problem+json. */
  private async check(reply: FastifyReply) {
    if (this.shutdown.draining) {
      const down = { shutdown: { status: 'down', message: 'The server is shutting down' } };
      reply.status(503);
      return { status: 'error', info: {}, error: down, details: down };
    }
    try {
      return await this.runChecks();
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      reply.status(503);
      return error.getResponse();
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
