import { Global, Module } from '@nestjs/common';
import { CacheModule as NestCacheModule, CacheOptions } from '@nestjs/cache-manager';
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
      // @nestjs/cache-manager 12 is ESM-only and types `stores` with keyv's ESM declarations;
      // this CommonJS code sees keyv's CommonJS ones: the same class declared twice, which
      // TypeScript holds unrelated. At run time it recognises a Keyv store by its shape.
      useFactory: (cache: CacheService): CacheOptions => ({
        stores: cache.stores as unknown as CacheOptions['stores'],
      }),
    }),
  ],
  exports: [CacheCoreModule, NestCacheModule],
})
export class AppCacheModule {}
