import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../../config/app-config';
import { rootLogger } from './root-logger';

/**
 * nestjs-pino as Nest's logger, over the same pino instance Fastify uses for request logs
 * (`useExisting`). No logging middleware runs per request: a pino-http middleware (plus
 * middie and an AsyncLocalStorage scope) cost about a third of the CPU of a trivial request
 * (bench/README.md). Request lines are written by an onResponse hook (request-logging.ts);
 * error logs carry the request id explicitly.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        pinoHttp: { logger: rootLogger(config) },
        useExisting: true,
        forRoutes: [],
      }),
    }),
  ],
})
export class LoggingModule {}
