import { Logger } from '@nestjs/common';
import { DataSource, DataSourceOptions } from 'typeorm';

const log = new Logger('Database');

/** Errors that another try cannot fix: wrong database name, credentials, a file that cannot be opened. */
const PERMANENT = new Set(['3D000', '28P01', '28000', 'SQLITE_CANTOPEN', 'SQLITE_NOTADB']);

/** The first connection failed: the message is the one line `npm start` prints before exit 1. */
export class DatabaseStartError extends Error {}

/** Where the database is, for messages: host, port and database name, never credentials. */
export function describeDatabase(options: DataSourceOptions): string {
  if (options.type === 'better-sqlite3') return `SQLite ${String(options.database)}`;
  const url = (options as { url?: string }).url;
  const replication = (options as { replication?: { master: { url?: string } } }).replication;
  try {
    const parsed = new URL(url ?? replication?.master.url ?? '');
    return `PostgreSQL at ${parsed.host}${parsed.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

/**
 * First connection: 5 tries with exponential backoff (a database starting next to the app, as
 * in docker compose, gets a few seconds), a log line per failed try; a permanent error (no such
 * database, bad credentials) fails at once. The final error says what and where in one line.
 */
export async function connectWithRetry(
  options: DataSourceOptions,
  { attempts = 5, firstDelayMs = 250 } = {},
): Promise<DataSource> {
  for (let attempt = 1; ; attempt++) {
    const dataSource = new DataSource(options);
    try {
      return await dataSource.initialize();
    } catch (error) {
      if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
      const reason = error instanceof Error ? error.message : String(error);
      const code = (error as { code?: string }).code;
      if (attempt >= attempts || (code && PERMANENT.has(code))) {
        const tries = attempt > 1 ? ` after ${attempt} tries` : '';
        throw new DatabaseStartError(
          `cannot connect to ${describeDatabase(options)}${tries}: ${reason.split('\n')[0]}`,
        );
      }
      const delay = firstDelayMs * 2 ** (attempt - 1);
      log.warn(
        `Database connection try ${attempt}/${attempts} failed (${reason}); retrying in ${delay} ms`,
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
