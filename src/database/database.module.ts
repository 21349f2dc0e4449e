import { DynamicModule, Global, Module } from '@nestjs/common';
import type { MongooseModule as MongooseModuleType } from '@nestjs/mongoose';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { connectWithRetry } from './connect-with-retry';
import { MigrationsGate, MigrationsGuard } from './migrations-gate';
import { buildTypeOrmOptions } from './typeorm-options';
import { UnitOfWork } from './unit-of-work';

/**
 * The Mongoose connection (MONGO_URL set): bounded waits, retried on the first connect, closed
 * on shutdown by @nestjs/mongoose (onApplicationShutdown). `sanitizeFilter` turns any
 * `$`-object in a query filter into a literal unless the repository marked it `trusted()`.
 * Collections and indexes are not created implicitly: the crawl module builds its indexes at
 * start and awaits them (and jongodb, the MongoDB-wire emulator of the tests, has no `create`).
 */
export function mongooseOptions(config: AppConfig) {
  const mongo = config.mongo!;
  return {
    dbName: mongo.database,
    appName: 'cornerstone',
    maxPoolSize: mongo.maxPoolSize,
    minPoolSize: mongo.minPoolSize,
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    socketTimeoutMS: config.database.statementTimeoutMs + 5_000,
    heartbeatFrequencyMS: 10_000,
    autoIndex: false,
    autoCreate: false,
    sanitizeFilter: true,
    // First connect: up to 5 tries, 1 s apart (each waits up to serverSelectionTimeoutMS).
    retryAttempts: 5,
    retryDelay: 1_000,
    verboseRetryLog: true,
  };
}

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
      imports.push(MongooseModule.forRoot(mongo.url, mongooseOptions(config)));
    }
    return {
      module: DatabaseModule,
      imports,
      providers: [UnitOfWork, MigrationsGate, MigrationsGuard],
      exports: [UnitOfWork, MigrationsGate, MigrationsGuard],
    };
  }
}
