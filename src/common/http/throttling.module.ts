import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../../config/app-config';
import { createThrottlerStorage } from './resilient-throttler.storage';
import { isNotSearch } from './search-rate-limit';

/**
 * Rate limits per client IP, shared through Redis when set: `default` (THROTTLE_LIMIT per
 * THROTTLE_TTL_SECONDS) on every route but the probes, and `search` (SEARCH_THROTTLE_LIMIT
 * per window) on searches only (@SearchRateLimit routes with a non-blank `search`).
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: [
          { name: 'default', ttl: config.throttle.ttlSeconds * 1000, limit: config.throttle.limit },
          {
            name: 'search',
            ttl: config.throttle.ttlSeconds * 1000,
            limit: config.throttle.searchLimit,
            skipIf: isNotSearch,
          },
        ],
        storage: createThrottlerStorage(config.redis),
        errorMessage: 'Too many requests; retry after the time given in Retry-After',
      }),
    }),
  ],
  exports: [ThrottlerModule],
})
export class ThrottlingModule {}
