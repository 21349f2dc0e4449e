import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { StaleVersion, staleVersionProblem } from '../http/etag';
import { FastifyReply, FastifyRequest } from 'fastify';
import { classifyDatabaseError, DatabaseErrorKind } from '../../database/database-errors';
import { MAX_JSON_KEYS_PER_OBJECT, MAX_JSON_KEYS_TOTAL } from '../http/json-body.parser';
import { FieldError, Problem, PROBLEM_CONTENT_TYPE, problemKind } from './problem';

/**
 * A problem never grows with the input: at most this many `errors[]` entries, and `detail`,
 * field names and messages cut to these lengths (a body with thousands of unknown keys, or
 * one 500 KB key, used to come back listed in full).
 */
export const MAX_PROBLEM_ERRORS = 20;
const MAX_DETAIL_CHARS = 1_000;
const MAX_FIELD_CHARS = 200;

const cut = (text: string, max: number) =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

function boundErrors(errors: FieldError[]): FieldError[] {
  return errors.slice(0, MAX_PROBLEM_ERRORS).map((e) => ({
    field: cut(String(e.field), MAX_FIELD_CHARS),
    message: cut(String(e.message), MAX_FIELD_CHARS * 2),
  }));
}

const DATABASE_PROBLEMS: Record<DatabaseErrorKind, { status: number; detail: string }> = {
  unique: { status: 409, detail: 'A resource with the same unique value already exists' },
  foreign_key: {
    status: 409,
    detail: 'The request refers to a resource that does not exist or is still referenced',
  },
  not_null: { status: 400, detail: 'A required value is missing' },
  check: { status: 400, detail: 'A value is outside the allowed range' },
  invalid_value: {
    status: 400,
    detail: 'A value cannot be stored as given (wrong format, out of range or a NUL character)',
  },
  timeout: { status: 503, detail: 'The database did not answer in time; retry later' },
  unavailable: { status: 503, detail: 'The database is unavailable; retry later' },
};

/** Errors raised by Fastify itself (body parsing, limits) carry a 4xx statusCode. */
interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
}

const FASTIFY_DETAILS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is larger than allowed',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'This route does not accept that Content-Type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The JSON body is empty',
  FST_ERR_CTP_INVALID_JSON_BODY: 'The body is not valid JSON',
  FST_ERR_CTP_EMPTY_TYPE: 'The Content-Type header is empty',
  FST_ERR_CTP_INVALID_TYPE: 'The Content-Type header is invalid',
  FST_REQ_FILE_TOO_LARGE: 'The uploaded file is larger than allowed',
  FST_FILES_LIMIT: 'Too many files in one request',
  FST_PARTS_LIMIT: 'Too many parts in the multipart body',
  FST_FIELDS_LIMIT: 'Too many fields in the multipart body',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'The request is not multipart/form-data',
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is longer than allowed',
  FST_ERR_BAD_URL: 'The URL is malformed',
  HPE_HEADER_OVERFLOW: 'The request line or headers are larger than allowed',
  ERR_HTTP_REQUEST_TIMEOUT: 'The request was not received in time',
  FST_PROTO_VIOLATION: 'The body contains a forbidden key (__proto__ or constructor.prototype)',
  CS_JSON_TOO_DEEP: 'The JSON body is nested too deeply',
  CS_JSON_TOO_MANY_KEYS: `The JSON body has an object with more than ${MAX_JSON_KEYS_PER_OBJECT} keys, or more than ${MAX_JSON_KEYS_TOTAL} keys in all`,
  CS_JSON_ILL_FORMED:
    'The JSON body contains a NUL character or a lone UTF-16 surrogate, which no field accepts',
};

/**
 * Busboy (under @fastify/multipart) throws plain Errors, without a status, when it cannot read
 * the form: `multipart/form-data` with no boundary, a body cut short. Those are the client's.
 */
const MALFORMED_MULTIPART =
  /^(Multipart: Boundary not found|Unexpected end of (multipart data|form)|Malformed part header|Missing Content-Type-header\.|Unsupported Content-Type\.)/;

/** Turns any error into a problem; unknown errors become a bare 500 with no internals. */
export function toProblem(error: unknown, instance: string, requestId?: string): Problem {
  let status = 500;
  let detail = 'An unexpected error occurred';
  let errors: FieldError[] | undefined;
  let type: string | undefined;
  let extensions: Record<string, unknown> | undefined;

  if (error instanceof HttpException) {
    status = error.getStatus();
    const body = error.getResponse();
    if (typeof body === 'string') detail = body;
    else if (body && typeof body === 'object') {
      const b = body as {
        message?: unknown;
        detail?: unknown;
        errors?: FieldError[];
        type?: string;
        extensions?: Record<string, unknown>;
      };
      const message = b.detail ?? b.message;
      detail = Array.isArray(message) ? message.join('; ') : String(message ?? error.message);
      errors = b.errors;
      type = b.type;
      extensions = b.extensions;
    }
  } else {
    const dbKind = classifyDatabaseError(error);
    const fastify = error as FastifyLikeError;
    if (dbKind) ({ status, detail } = DATABASE_PROBLEMS[dbKind]);
    else if (error instanceof SyntaxError)
      ({ status, detail } = { status: 400, detail: 'The body is not valid JSON' });
    else if (error instanceof Error && MALFORMED_MULTIPART.test(error.message)) {
      ({ status, detail } = {
        status: 400,
        detail: 'The multipart/form-data body is malformed (boundary, parts or headers)',
      });
    } else if (
      typeof fastify.statusCode === 'number' &&
      fastify.statusCode >= 400 &&
      fastify.statusCode < 500
    ) {
      status = fastify.statusCode;
      detail =
        (fastify.code && FASTIFY_DETAILS[fastify.code]) || 'The request could not be processed';
    }
  }
  const kind = problemKind(status);
  return {
    // Extension members first: the standard members below always win.
    ...extensions,
    type: type ?? kind.type,
    title: kind.title,
    status,
    detail: cut(detail, MAX_DETAIL_CHARS),
    instance: cut(instance, MAX_FIELD_CHARS * 2),
    ...(requestId ? { requestId } : {}),
    ...(errors && errors.length ? { errors: boundErrors(errors) } : {}),
  };
}

/** Statuses whose request line is not echoed back: the problem names the occurrence instead. */
const NOT_ECHOED = new Set([408, 414, 431]);

/**
 * Node's HTTP parser refused the bytes before any request existed (headers or URL over the
 * limit: 431; request not received in time: 408; anything else: 400). Fastify's own answer was
 * plain JSON; this is the same problem+json as every other error, with the security headers
 * and a fresh request id, and the connection closed (what is left on it cannot be parsed).
 */
export function answerClientError(
  error: Error & { code?: string },
  socket: Socket,
  headers: Array<[string, string]>,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 431
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 408
        : 400;
  const requestId = randomUUID();
  const problem = toProblem(
    { statusCode: status, code: error.code, message: '' },
    `urn:uuid:${requestId}`,
    requestId,
  );
  if (status === 400) problem.detail = 'The request could not be parsed as HTTP';
  const body = JSON.stringify(problem);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    'Connection: close',
    ...headers.map(([name, value]) => `${name}: ${value}`),
  ];
  if (socket.writable) socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  else socket.destroy();
}

/** `retryAfterSeconds` of an HttpException's response object (a 429 or 503 that knows when to come back). */
function retryAfterOf(error: unknown): number | undefined {
  if (!(error instanceof HttpException)) return undefined;
  const body = error.getResponse() as { retryAfterSeconds?: unknown };
  return typeof body === 'object' && typeof body?.retryAfterSeconds === 'number'
    ? body.retryAfterSeconds
    : undefined;
}

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  error: unknown,
  log: Logger,
): void {
  const status = (error as FastifyLikeError)?.statusCode;
  const instance =
    typeof status === 'number' && NOT_ECHOED.has(status)
      ? `urn:uuid:${String(request.id)}`
      : (request.url ?? '/').split('?')[0];
  const problem = toProblem(error, instance, String(request.id ?? ''));
  if (problem.status >= 500) {
    const cause = classifyDatabaseError(error) ? (error as Error).message : error;
    log.error(
      { err: cause, requestId: request.id, url: instance },
      `${problem.status} ${problem.detail}`,
    );
  }
  if (reply.sent) return;
  // Refused before its body was read, or a 413 (too many multipart fields or files, body too
  // large; busboy stops reading at the limit): what is left on the connection cannot be trusted
  // as the next request, so answer and close (Node discards the rest) instead of leaving a
  // keep-alive connection hanging until its timeout.
  if (problem.status === 413 || (problem.status >= 400 && request.raw && !request.raw.complete))
    reply.header('Connection', 'close');
  const retryAfter = retryAfterOf(error);
  if (retryAfter !== undefined) reply.header('Retry-After', String(retryAfter));
  else if (problem.status === 503 && !reply.getHeader('retry-after'))
    reply.header('Retry-After', '5');
  reply.status(problem.status).header('Content-Type', PROBLEM_CONTENT_TYPE).send(problem);
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly log = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    sendProblem(
      reply,
      request,
      exception instanceof StaleVersion
        ? staleVersionProblem(exception, request, reply)
        : exception,
      this.log,
    );
  }
}
