import './compile-cache';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap';
import { AppConfig, ConfigError, loadConfig } from './config';
import { limitHeapGrowth } from './config/heap-growth';
import { ShutdownState } from './health/shutdown-state';

/** Validated configuration, or one line naming the bad variable and exit 1. Shared with cluster.ts. */
export function readConfig(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      // One clear line naming the variable; no stack trace for a configuration mistake.
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** Boots one server process: listen, and drain on SIGTERM/SIGINT. Also each cluster worker's body. */
export async function start(config: AppConfig = readConfig()): Promise<void> {
  limitHeapGrowth(config.http.heapGrowingPercent);
  const app = await createApp(config);
  const log = new Logger('Main');
  await app.listen({ port: config.http.port, host: config.http.host });
  log.log(
    `Cornerstone listening on http://localhost:${config.http.port} (docs at /docs, ${config.database.kind})`,
  );

  /**
   * SIGTERM/SIGINT: readiness turns 503, the server stops accepting and finishes in-flight
   * requests (bounded by SHUTDOWN_TIMEOUT_MS), connections close, exit 0. Nest's
   * enableShutdownHooks() re-raises the signal after closing (exit 143), hence our own handler.
   */
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.log(`${signal} received: draining`);
    app.get(ShutdownState).draining = true;
    if (config.http.shutdownDelayMs > 0)
      await new Promise((r) => setTimeout(r, config.http.shutdownDelayMs));
    const timeout = new Promise<'timeout'>((r) =>
      setTimeout(() => r('timeout'), config.http.shutdownTimeoutMs).unref(),
    );
    const result = await Promise.race([app.close().then(() => 'closed' as const), timeout]).catch(
      (error) => {
        log.error(`Shutdown failed: ${(error as Error).message}`);
        return 'failed' as const;
      },
    );
    if (result !== 'closed') log.warn(`Shutdown ${result}; exiting anyway`);
    process.exit(result === 'closed' ? 0 : 1);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/** Start-up failure after configuration (database unreachable after retries, port in use): one line, exit 1. */
export function failStart(error: unknown): never {
  process.stderr.write(`Cornerstone failed to start: ${(error as Error).message}\n`);
  process.exit(1);
}

if (require.main === module) start().catch(failStart);
