import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import multipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import { Socket } from 'node:net';
import { Logger as NestLogger } from '@nestjs/common';
import { FastifyReply, FastifyRequest, LogController } from 'fastify';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet, { HelmetOptions } from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppModule, AppOptions } from './app.module';
import { answerClientError, sendProblem } from './common/errors/problem.filter';
import { createValidationPipe } from './common/errors/validation-pipe';
import { registerRequestLogging } from './common/logging/request-logging';
import { rootLogger } from './common/logging/root-logger';
import { registerConditionalGet } from './common/http/etag';
import { registerJsonBodyParser } from './common/http/json-body.parser';
import { AppMetrics } from './common/metrics/app-metrics';
import { AppConfig } from './config/app-config';
import { setupSwagger } from './swagger';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accept a sane X-Request-Id or make one; the logger reads it back from the header. */
function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  req.headers['x-request-id'] = id;
  return id;
}

/**
 * Helmet's security headers, computed once. Its middleware (and @fastify/helmet, which calls
 * helmet(options) on every request) re-parses the CSP directives per request; the headers
 * never vary here, so they are worked out at start and set by one cheap hook (bench/README.md).
 */
export function securityHeaders(options: HelmetOptions): Array<[string, string]> {
  const headers = new Map<string, string>();
  const res = {
    setHeader: (name: string, value: string) => headers.set(name, String(value)),
    removeHeader: (name: string) => headers.delete(name),
  };
  helmet(options)({} as never, res as never, (error?: unknown) => {
    if (error) throw error;
  });
  return [...headers];
}

/**
 * `upgrade-insecure-requests` only when the deployment is served over HTTPS (BEHIND_HTTPS):
 * opened over plain HTTP from another host (not localhost), it makes the browser fetch
 * Swagger UI's scripts and styles over https, and the page stays blank.
 */
const securityHeaderOptions = (config: AppConfig): HelmetOptions => ({
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", "'unsafe-inline'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      frameAncestors: ["'none'"],
      upgradeInsecureRequests: config.http.behindHttps ? [] : null,
    },
  },
});

/** The app, fully configured but not listening: used by main.ts, the CLI-free tests and the bench. */
export async function createApp(
  config: AppConfig,
  options: AppOptions = {},
): Promise<NestFastifyApplication> {
  const security = securityHeaders(securityHeaderOptions(config));
  const errorLog = new NestLogger('Errors');
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    // The router refuses a malformed URL (400) or an over-long path parameter (414) before any
    // hook runs: answered here as problem+json with the security headers and request id.
    frameworkErrors: (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
      for (const [name, value] of security) reply.header(name, value);
      reply.header('X-Request-Id', request.id);
      sendProblem(reply, request, error, errorLog);
    },
    // Node's parser refuses oversized headers or URLs (431) and slow requests (408) before
    // Fastify sees a request: the same problem+json, headers and a request id, then close.
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) =>
      answerClientError(error, socket, security),
    genReqId: requestId,
    loggerInstance: rootLogger(config),
    // Fastify's own two lines per request are off: registerRequestLogging writes one.
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'requestId',
    }),
    // Only the proxies TRUST_PROXY names may set X-Forwarded-For (never every client).
    trustProxy: config.http.trustProxy,
    // Slow clients cannot hold sockets: the whole request within HTTP_REQUEST_TIMEOUT_MS (else
    // 408, checked every second instead of Node's 30 s), idle sockets closed after
    // HTTP_CONNECTION_TIMEOUT_MS.
    requestTimeout: config.http.requestTimeoutMs,
    connectionTimeout: config.http.connectionTimeoutMs,
    http: {
      connectionsCheckingInterval: Math.min(1_000, Math.ceil(config.http.requestTimeoutMs / 2)),
      headersTimeout: Math.min(60_000, config.http.requestTimeoutMs),
      requestTimeout: config.http.requestTimeoutMs,
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200 },
  } as ConstructorParameters<typeof FastifyAdapter>[0]);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, options),
    adapter,
    {
      bufferLogs: true,
      // A start-up failure (database unreachable) is reported once, by the caller (main.ts:
      // one line, exit 1): the buffered Nest lines and its stack trace are not printed then.
      autoFlushLogs: false,
      bodyParser: false,
      abortOnError: false,
    },
  );
  app.useLogger(app.get(Logger));
  app.flushLogs();
  const fastify = app.getHttpAdapter().getInstance();

  registerJsonBodyParser(fastify, config.http.bodyLimitBytes);
  await app.register(multipart as never, {
    limits: {
      fileSize: config.uploads.maxBytes,
      files: 1,
      fields: 20,
      fieldSize: 16 * 1024,
      parts: 25,
      headerPairs: 200,
    },
    throwFileSizeLimit: true,
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    for (const [name, value] of security) reply.raw.setHeader(name, value);
    reply.raw.setHeader('X-Request-Id', request.id);
    done();
  });
  registerRequestLogging(fastify);
  if (config.metrics.enabled) app.get(AppMetrics).instrument(fastify);
  registerConditionalGet(fastify);
  if (config.http.corsOrigins) {
    app.enableCors({
      origin: config.http.corsOrigins === '*' ? true : config.http.corsOrigins,
      // Every method the API has (the default is GET, HEAD, POST: no cross-origin PATCH/DELETE).
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'Location', 'ETag'],
      credentials: config.http.corsOrigins !== '*',
    });
  }

  // Errors Fastify raises before a handler runs (body parsing, limits, unknown routes) reach
  // the ProblemFilter through Nest's own Fastify error and not-found handlers.

  app.useGlobalPipes(createValidationPipe());
  app.setGlobalPrefix('v1', { exclude: ['health', 'health/live', 'health/ready', 'metrics'] });
  if (config.docs.enabled) setupSwagger(app);
  await app.init();
  return app;
}
