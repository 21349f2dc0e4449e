import pino, { Logger } from 'pino';
import { AppConfig } from '../../config/app-config';

const loggers = new WeakMap<AppConfig, Logger>();

/**
 * The one pino instance of a running app: Fastify logs requests through it and nestjs-pino
 * hands it to Nest. JSON in production, pretty in a development terminal, secrets redacted.
 */
export function rootLogger(config: AppConfig): Logger {
  let logger = loggers.get(config);
  if (!logger) {
    logger = pino({
      level: config.log.level,
      transport: config.log.pretty
        ? { target: 'pino-pretty', options: { singleLine: true } }
        : undefined,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-api-key"]',
          'res.headers["set-cookie"]',
          '*.password',
          '*.currentPassword',
          '*.newPassword',
          '*.accessToken',
          '*.passwordHash',
        ],
        censor: '[redacted]',
      },
    });
    loggers.set(config, logger);
  }
  return logger;
}
