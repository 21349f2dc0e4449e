import { Global, Module } from '@nestjs/common';
import { CacheService } from './cache.service';

/** CacheService (keys in cache-keys.ts), app-wide. */
@Global()
@Module({ providers: [CacheService], exports: [CacheService] })
export class AppCacheModule {}
