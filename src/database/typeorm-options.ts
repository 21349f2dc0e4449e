import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { SnakeNamingStrategy } from './snake-naming.strategy';
import { TypeOrmNestLogger } from './typeorm-logger';

/**
 * The one TypeORM options factory, shared by the app (DatabaseModule) and the CLI
 * (data-source.ts). Entities and migrations are found by file pattern, so neither list
 * is kept twice. Each database has its own migration folder, generated from the same
 * entities (see README, "Migrations").
 */
export function buildTypeOrmOptions(config: AppConfig): DataSourceOptions {
  const db = config.database;
  const common = {
    entities: [join(__dirname, '..', '**', '*.entity.{js,ts}')],
    migrations: [join(__dirname, '..', '..', 'migrations', db.kind, '*.{js,ts}')],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each' as const,
    migrationsRun: db.migrateOnStart,
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    logging: ['error' as const, 'warn' as const, 'migration' as const],
    logger: new TypeOrmNestLogger(),
  };
  if (db.kind === 'postgres') {
    const pool = {
      max: db.poolSize,
      connectionTimeoutMillis: db.poolTimeoutMs,
      idleTimeoutMillis: 30_000,
      // Server-side bound on every statement; lock waits included.
      statement_timeout: db.statementTimeoutMs,
      lock_timeout: db.statementTimeoutMs,
      // Client-side bound too, so a server that stops answering cannot hang a request.
      query_timeout: db.statementTimeoutMs + 1_000,
      application_name: 'cornerstone',
    };
    return {
      ...common,
      type: 'postgres',
      ...(db.readUrls.length > 0
        ? { replication: { master: { url: db.url }, slaves: db.readUrls.map((url) => ({ url })) } }
        : { url: db.url }),
      extra: pool,
    };
  }
  const path = db.sqlitePath ?? ':memory:';
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: path,
    enableWAL: path !== ':memory:',
    statementCacheSize: 500,
    prepareDatabase: (sqlite: { pragma: (s: string) => unknown }) => {
      sqlite.pragma(`busy_timeout = ${db.statementTimeoutMs}`);
      sqlite.pragma('foreign_keys = ON');
    },
  };
}
