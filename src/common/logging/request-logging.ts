import { FastifyInstance } from 'fastify';
import { Logger } from 'pino';

/**
 * One line per request ("request completed"), at a level by status; nothing when the level is
 * off. Successful health probes are not logged: orchestrators poll them every few seconds.
 */
export function registerRequestLogging(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    if (level === 'info' && request.url.startsWith('/health')) return done();
    const log = request.log as unknown as Logger;
    if (log.isLevelEnabled(level)) {
      log[level](
        {
          req: { method: request.method, url: request.url },
          res: { statusCode: status },
          responseTime: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request completed',
      );
    }
    done();
  });
}
