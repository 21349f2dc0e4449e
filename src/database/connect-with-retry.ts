import { Logger } from '@nestjs/common';
import { DataSource, DataSourceOptions } from 'typeorm';

const log = new Logger('Database');

/** First connection: 5 tries with exponential backoff, a log line per failed try. */
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
      if (attempt >= attempts) {
        log.error(`Database connection failed after ${attempt} tries: ${reason}`);
        throw error;
      }
      const delay = firstDelayMs * 2 ** (attempt - 1);
      log.warn(
        `Database connection try ${attempt}/${attempts} failed (${reason}); retrying in ${delay} ms`,
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
