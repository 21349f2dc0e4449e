import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { AppCacheModule } from './cache/cache.module';
import { AccessGuard } from './common/auth/access.guard';
import { Clock, ClockModule } from './common/clock/clock';
import { ProblemFilter } from './common/errors/problem.filter';
import { AppThrottlerGuard } from './common/http/throttler.guard';
import { ThrottlingModule } from './common/http/throttling.module';
import { IdempotencyModule } from './common/idempotency/idempotency.module';
import { MetricsModule } from './common/metrics/metrics.module';
import { LoggingModule } from './common/logging/logging.module';
import { SchedulingModule } from './common/scheduling/periodic-jobs';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { MigrationsGuard } from './database/migrations-gate';
import { HealthModule } from './health/health.module';
import { FEATURE_MODULES } from './feature-modules';

export interface AppOptions {
  /** Replaces the system clock (tests). */
  clock?: Clock;
}

/** Wires the platform and the feature modules; nothing else. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggingModule,
        DiscoveryModule,
        ClockModule.forRoot(options.clock),
        DatabaseModule.forRoot(config),
        AppCacheModule,
        ThrottlingModule,
        SchedulingModule,
        IdempotencyModule,
        MetricsModule,
        HealthModule,
        ...FEATURE_MODULES,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemFilter },
        // First: while migrations are pending, API requests answer 503 before touching tables.
        { provide: APP_GUARD, useExisting: MigrationsGuard },
        { provide: APP_GUARD, useClass: AppThrottlerGuard },
        { provide: APP_GUARD, useClass: AccessGuard },
      ],
    };
  }
}
