import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../../config/app-config';
import { createThrottlerStorage } from './resilient-throttler.storage';

/** Global rate limit per client IP (THROTTLE_LIMIT per THROTTLE_TTL_SECONDS), shared through Redis when set. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: [
          { name: 'default', ttl: config.throttle.ttlSeconds * 1000, limit: config.throttle.limit },
        ],
        storage: createThrottlerStorage(config.redis),
        errorMessage: 'Too many requests; retry after the time given in Retry-After',
      }),
    }),
  ],
  exports: [ThrottlerModule],
})
export class ThrottlingModule {}
