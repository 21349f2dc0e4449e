import './compile-cache';
import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli/cli.module';
import { ConfigError, loadConfig } from './config';
import { limitHeapGrowth } from './config/heap-growth';

/** `npm run cli -- <command>`: migrate, db:check, create-admin, seed-demo, … (`--help` lists them). */
async function main(): Promise<void> {
  let config;
  try {
    // The CLI migrates explicitly (`migrate up`); it never migrates as a side effect.
    config = loadConfig({ DB_MIGRATE_ON_START: 'false' }, { LOG_LEVEL: 'warn' });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  limitHeapGrowth(config.http.heapGrowingPercent);
  const fail = (error: Error): never => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  };
  let app: INestApplicationContext;
  try {
    app = await CommandFactory.createWithoutRunning(CliModule.forRoot(config), {
      logger: ['error', 'warn'],
      // A start-up failure (database unreachable) is the one line below, without Nest's stack.
      bufferLogs: true,
      autoFlushLogs: false,
      abortOnError: false,
      errorHandler: (error) => {
        // commander reports --help and --version through the error handler too: those succeeded.
        const code = (error as Error & { code?: string }).code;
        if (code === 'commander.helpDisplayed' || code === 'commander.version') process.exit(0);
        fail(error);
      },
      serviceErrorHandler: fail,
    });
  } catch (error) {
    return fail(error as Error);
  }
  app.flushLogs();
  try {
    await CommandFactory.runApplication(app);
  } finally {
    await app.close();
  }
  process.exit(process.exitCode ?? 0);
}

void main();
