import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { UsageRecorder } from '../common/observability/usage-recorder';
import { AnalyticsController } from './analytics.controller';
import { ApiCallCounter } from './api-call-counter.interceptor';
import { UsageRepository } from './usage.repository';
import { UsageService } from './usage.service';

/**
 * Usage analytics, the system event log, data analyses, tool generations and the admin
 * operations (stats, logs, cleanup). Global: it provides the UsageRecorder and SystemEventLog
 * ports that other modules inject with @Optional().
 */
@Global()
@Module({
  controllers: [AnalyticsController],
  providers: [
    UsageRepository,
    UsageService,
    { provide: UsageRecorder, useExisting: UsageService },
    { provide: APP_INTERCEPTOR, useClass: ApiCallCounter },
  ],
  exports: [UsageService, UsageRecorder],
})
export class AnalyticsModule {}
