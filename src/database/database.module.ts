import { DynamicModule, Global, Module } from '@nestjs/common';
import type { MongooseModule as MongooseModuleType } from '@nestjs/mongoose';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { connectWithRetry } from './connect-with-retry';
import { MigrationsGate, MigrationsGuard } from './migrations-gate';
import { buildTypeOrmOptions } from './typeorm-options';
import { UnitOfWork } from './unit-of-work';

/**
 * TypeORM (PostgreSQL or SQLite) and the UnitOfWork always; Mongoose only when MONGO_URL is set — nothing
 * else may assume a Mongo connection exists (inject it with @Optional()).
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    const imports: DynamicModule['imports'] = [
      TypeOrmModule.forRootAsync({
        inject: [AppConfig],
        // connectWithRetry retries; TypeOrmModule's own retry loop (and its stack trace) stays off.
        useFactory: (c: AppConfig) => ({
          ...buildTypeOrmOptions(c),
          retryAttempts: 0,
          toRetry: () => false,
        }),
        dataSourceFactory: (options) => connectWithRetry(options!),
      }),
    ];
    if (config.mongo) {
      // Required only when configured: mongoose and its driver cost ~0.3–0.4 s of cold start.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { MongooseModule } = require('@nestjs/mongoose') as {
        MongooseModule: typeof MongooseModuleType;
      };
      const mongo = config.mongo;
      imports.push(
        MongooseModule.forRoot(mongo.url, {
          dbName: mongo.database,
          maxPoolSize: mongo.maxPoolSize,
          minPoolSize: mongo.minPoolSize,
          serverSelectionTimeoutMS: 5_000,
        }),
      );
    }
    return {
      module: DatabaseModule,
      imports,
      providers: [UnitOfWork, MigrationsGate, MigrationsGuard],
      exports: [UnitOfWork, MigrationsGate, MigrationsGuard],
    };
  }
}
