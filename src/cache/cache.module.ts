import { Global, Module } from '@nestjs/common';
import { CacheModule as NestCacheModule } from '@nestjs/cache-manager';
import { CacheService } from './cache.service';

@Global()
@Module({ providers: [CacheService], exports: [CacheService] })
class CacheCoreModule {}

/**
 * CacheService for the app's own keys, and @nestjs/cache-manager (CACHE_MANAGER) over the
 * same Keyv tiers for anything that wants the standard Nest cache API.
 */
@Global()
@Module({
  imports: [
    CacheCoreModule,
    NestCacheModule.registerAsync({
      imports: [CacheCoreModule],
      inject: [CacheService],
      useFactory: (cache: CacheService) => ({ stores: cache.stores }),
    }),
  ],
  exports: [CacheCoreModule, NestCacheModule],
})
export class AppCacheModule {}
