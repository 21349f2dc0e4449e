import {
  BadRequestException,
  CallHandler,
  ConflictException,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  StreamableFile,
  UnprocessableEntityException,
} from '@nestjs/common';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, Observable } from 'rxjs';
import { AuthenticatedRequest } from '../auth/access';
import { Clock } from '../clock/clock';
import { AppConfig } from '../../config/app-config';
import { readMultipartDigest, recordedBodyDigest } from './body-digest';
import { IdempotencyRepository } from './idempotency.repository';

const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
/** 1–255 printable ASCII characters (space to tilde). */
const IDEMPOTENCY_KEY_FORMAT = /^[\x20-\x7e]{1,255}$/;

/** Response headers worth replaying (the rest are per-response: request id, security headers). */
const STORED_HEADERS = ['location', 'content-type'] as const;
/** An in-flight claim older than this belongs to a request whose instance died: claimable again. */
const STALE_IN_FLIGHT_MS = 5 * 60_000;
/** What a client should wait before retrying a key that is still in flight. */
const IN_FLIGHT_RETRY_AFTER_SECONDS = 1;

interface StoredResponse {
  headers: Record<string, string>;
  body: string | null;
}

type Request = FastifyRequest & AuthenticatedRequest;

/**
 * Idempotency-Key on the routes that declare @Idempotent() (README, "Idempotency"), which
 * attaches it; a no-op on requests without the header.
 * Runs after the guards, so the caller is known: keys are scoped to the user (JWT or API key),
 * or to the client address on public routes.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly ttlMs: number;

  constructor(
    private readonly repository: IdempotencyRepository,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.ttlMs = config.idempotency.ttlSeconds * 1000;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const key = request.headers[IDEMPOTENCY_KEY_HEADER];
    if (key === undefined) return next.handle();
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY_FORMAT.test(key)) {
      throw new BadRequestException({
        detail: 'Idempotency-Key must be 1–255 printable ASCII characters, sent once',
        errors: [{ field: 'Idempotency-Key', message: 'must be 1–255 printable ASCII characters' }],
      });
    }
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return from(this.handle(request, reply, key, next));
  }

  private async handle(
    request: Request,
    reply: FastifyReply,
    key: string,
    next: CallHandler,
  ): Promise<unknown> {
    const scope = request.principal ? `user:${request.principal.userId}` : `anon:${request.ip}`;
    const keyHash = createHash('sha256').update(key).digest('hex');
    const multipart = request.isMultipart();
    // A multipart body is streamed by the handler: its fingerprint is known once it has read it.
    const fingerprint = multipart ? 'multipart' : this.fingerprint(request, jsonDigest(request));

    const now = this.clock.now();
    let claimed = await this.repository.claim(
      scope,
      keyHash,
      fingerprint,
      now,
      new Date(now.getTime() + this.ttlMs),
    );
    if (!claimed) {
      const stale = new Date(now.getTime() - STALE_IN_FLIGHT_MS);
      if (await this.repository.deleteIfDead(scope, keyHash, now, stale)) {
        claimed = await this.repository.claim(
          scope,
          keyHash,
          fingerprint,
          now,
          new Date(now.getTime() + this.ttlMs),
        );
      }
    }
    if (!claimed) return this.answerExisting(request, reply, key, scope, keyHash, fingerprint);

    let value: unknown;
    try {
      value = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (error) {
      // Failed requests are not stored: the client may retry them with the same key.
      await this.repository.release(scope, keyHash);
      throw error;
    }
    if (reply.statusCode >= 400 || value instanceof StreamableFile || Buffer.isBuffer(value)) {
      await this.repository.release(scope, keyHash);
      return value;
    }
    const final = multipart
      ? this.fingerprint(request, recordedBodyDigest(request) ?? 'unread')
      : fingerprint;
    const headers: Record<string, string> = {};
    for (const name of STORED_HEADERS) {
      const header = reply.getHeader(name);
      if (header !== undefined) headers[name] = String(header);
    }
    const stored: StoredResponse = {
      headers,
      body: value === undefined ? null : JSON.stringify(value),
    };
    await this.repository.complete(scope, keyHash, final, reply.statusCode, seal(key, stored));
    return value;
  }

  private async answerExisting(
    request: Request,
    reply: FastifyReply,
    key: string,
    scope: string,
    keyHash: string,
    fingerprint: string,
  ): Promise<unknown> {
    const record = await this.repository.find(scope, keyHash);
    if (!record || record.status === 'in_flight' || !record.response) {
      throw new ConflictException({
        detail:
          'A request with this Idempotency-Key is still being processed; retry after Retry-After seconds',
        retryAfterSeconds: IN_FLIGHT_RETRY_AFTER_SECONDS,
      });
    }
    const current = request.isMultipart()
      ? this.fingerprint(request, await readMultipartDigest(request))
      : fingerprint;
    if (current !== record.fingerprint) {
      throw new UnprocessableEntityException(
        'This Idempotency-Key was already used with a different request (method, path or body); use a new key',
      );
    }
    const stored = open(key, record.response);
    reply.status(record.responseStatus ?? 200);
    for (const [name, value] of Object.entries(stored.headers)) reply.header(name, value);
    reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
    return stored.body === null ? undefined : JSON.parse(stored.body);
  }

  private fingerprint(request: FastifyRequest, bodyDigest: string): string {
    return createHash('sha256')
      .update(`${request.method} ${request.url}\n${bodyDigest}`)
      .digest('hex');
  }
}

function jsonDigest(request: FastifyRequest): string {
  return createHash('sha256')
    .update(JSON.stringify(request.body ?? null))
    .digest('hex');
}

/**
 * The stored response, encrypted (AES-256-GCM) with a key derived from the client's
 * Idempotency-Key, which the table keeps only as a hash: the rows alone reveal nothing.
 */
function cipherKey(key: string): Buffer {
  return createHash('sha256').update(`cornerstone-idempotent-response\0${key}`).digest();
}

function seal(key: string, response: StoredResponse): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', cipherKey(key), iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(response), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64');
}

function open(key: string, sealed: string): StoredResponse {
  const raw = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', cipherKey(key), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  return JSON.parse(text.toString('utf8')) as StoredResponse;
}
