import { Logger as NestLogger } from '@nestjs/common';
import { Logger as TypeOrmLogger } from 'typeorm';

/**
 * TypeORM's messages through the app's logger (pino JSON in production), never its own
 * console output. A failed query is logged without its parameters: they carry emails,
 * password hashes and whatever a caller sent. Query failures are debug: the error filter
 * already logs every one that turns into a 5xx, and the rest are answered 4xx on purpose
 * (a unique violation is a 409).
 */
export class TypeOrmNestLogger implements TypeOrmLogger {
  private readonly nest = new NestLogger('Database');

  logQuery(): void {}

  logQueryError(error: string | Error, query: string): void {
    const message = typeof error === 'string' ? error : error.message;
    this.nest.debug(`query failed: ${message} — ${query.slice(0, 300)}`);
  }

  logQuerySlow(time: number, query: string): void {
    this.nest.warn(`slow query (${time} ms): ${query.slice(0, 300)}`);
  }

  logSchemaBuild(message: string): void {
    this.nest.debug(message);
  }

  logMigration(message: string): void {
    this.nest.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text = String(message);
    if (level === 'warn') this.nest.warn(text);
    else this.nest.debug(text);
  }
}
