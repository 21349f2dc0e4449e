import {
  applyDecorators,
  BadRequestException,
  CallHandler,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  PreconditionFailedException,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiExtension } from '@nestjs/swagger';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { catchError, map, Observable, throwError } from 'rxjs';

/**
 * Optimistic concurrency, declared per route (README, "ETag and If-Match"):
 *
 *   @Get(':leadId') @Versioned('lead', 'leadId')     → ETag on the answer; If-None-Match → 304
 *   @Patch(':leadId') @Versioned('lead', 'leadId')   → ETag on the answer; `@IfMatch()` hands the
 *                                                      service the versions If-Match accepts
 *
 * The tag is `"<resource>-<path ids>-<version>"`, strong, from the `version` of the answer
 * (every write of a versioned row bumps it). Where the answer also shows what the version does
 * not cover (the caller's role, a running task's duration, the member's user fields), the route
 * names those fields (`{ varies: [...] }`) and the tag gets `.<digest of their values>`, so two
 * different bodies never share a tag. If-Match compares the version only: it guards the stored
 * state the write depends on, and a tag the caller got stays usable while only the varying parts
 * moved. A service that finds the row at another version throws `StaleVersion(current, now)`;
 * the interceptor turns it into 412 problem+json carrying the current tag (header and
 * `currentEtag`). The OpenAPI document gets the headers and the 304 / 412 answers from the
 * `x-versioned` extension (src/common/openapi/openapi-contract.ts).
 */

export const VERSIONED_EXTENSION = 'x-versioned';

/**
 * In place of a path parameter: the signed-in user's id, for `/me` routes, so that
 * `PATCH /users/me` and `GET /users/{id}` of the same user answer the same tag.
 */
export const SELF = ':self';
const VERSIONED = 'cornerstone:versioned';

interface VersionedRoute {
  resource: string;
  /** The path parameters naming the resource (their values go into the tag). */
  idParams: string[];
  /** Answer fields the version does not cover: their digest goes into the tag. */
  varies: string[];
}

export interface VersionedOptions {
  /** Fields of the answer that change without a version bump (per caller, or over time). */
  varies?: string[];
}

/**
 * What a write may assume: undefined = no If-Match (the write proceeds, as for older clients);
 * else the versions the client's tags name. Empty (`If-Match` with only other resources' or
 * weak tags) can never match: the write answers 412.
 */
export type VersionCondition = readonly number[] | undefined;

/**
 * The row is not at a version the request's If-Match names; `current` goes back in the 412.
 * `representation` (the answer a GET would give now) is needed where the route `varies`.
 */
export class StaleVersion extends PreconditionFailedException {
  constructor(
    readonly current: number,
    readonly representation?: object,
  ) {
    super('The resource changed since the ETag given in If-Match');
  }
}

/** Throws StaleVersion unless the condition admits `current` (for writes that change nothing). */
export function assertVersion(
  condition: VersionCondition,
  current: number,
  representation?: () => object,
): void {
  if (condition !== undefined && !condition.includes(current))
    throw new StaleVersion(current, representation?.());
}

/**
 * After a conditional write matched no row, from the row as it is now: 412 with its version when
 * it still exists and If-Match was given, else the route's not-found error.
 */
export function throwStaleOrMissing(
  now: { version: number } | null | undefined,
  condition: VersionCondition,
  missing: () => Error,
): never {
  if (now && condition !== undefined) throw new StaleVersion(now.version, now);
  throw missing();
}

/**
 * Marks a single-resource route as versioned: ETag, If-None-Match (GET), If-Match (writes).
 * `@Versioned('entity', 'entityId', { varies: ['role'] })`: path ids, then options.
 */
export function Versioned(
  resource: string,
  ...args: [...string[], VersionedOptions] | string[]
): MethodDecorator {
  const all: (string | VersionedOptions)[] = args;
  const options = all.find((a): a is VersionedOptions => typeof a === 'object') ?? {};
  const idParams = all.filter((a): a is string => typeof a === 'string');
  const route: VersionedRoute = {
    resource,
    idParams: idParams.length ? idParams : ['id'],
    varies: options.varies ?? [],
  };
  return applyDecorators(
    SetMetadata(VERSIONED, route),
    ApiExtension(VERSIONED_EXTENSION, { resource }),
    UseInterceptors(VersionedInterceptor),
  );
}

/** The If-Match condition of the request, for the service's conditional write. */
export const IfMatch = createParamDecorator(
  (_: unknown, context: ExecutionContext): VersionCondition => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const route = routeOf(context);
    if (!route) throw new Error(`@IfMatch() needs @Versioned() on ${context.getHandler().name}`);
    const header = request.headers['if-match'];
    if (header === undefined) return undefined;
    const tags = parseEntityTags(String(header));
    if (tags === undefined) {
      throw new BadRequestException({
        detail: 'If-Match must be "*" or a list of quoted entity tags, as sent in ETag',
        errors: [{ field: 'If-Match', message: 'is not a list of entity tags' }],
      });
    }
    if (tags === '*') return undefined; // any current representation: the row only has to exist
    const prefix = tagPrefix(route, request);
    const versions: number[] = [];
    for (const tag of tags) {
      if (tag.weak || !tag.opaque.startsWith(prefix)) continue; // strong comparison only
      // The version decides; a `.<digest>` of the varying parts does not (see the top).
      const version = /^([1-9][0-9]{0,14})(?:\.[A-Za-z0-9_-]+)?$/.exec(
        tag.opaque.slice(prefix.length),
      )?.[1];
      if (version) versions.push(Number(version));
    }
    return versions;
  },
);

/** Sets the ETag of the answer, and turns StaleVersion into the 412 that carries the current tag. */
@Injectable()
export class VersionedInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const route = this.reflector.get<VersionedRoute | undefined>(VERSIONED, context.getHandler());
    if (!route) return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const tagOf = (version: number, body: object | undefined) =>
      `"${tagPrefix(route, request)}${version}${variant(route, body)}"`;
    return next.handle().pipe(
      map((body: unknown) => {
        const version = (body as { version?: unknown } | null | undefined)?.version;
        if (typeof version === 'number') reply.header('ETag', tagOf(version, body as object));
        return body;
      }),
      catchError((error: unknown) => {
        if (!(error instanceof StaleVersion)) return throwError(() => error);
        const currentEtag = tagOf(error.current, error.representation);
        reply.header('ETag', currentEtag);
        return throwError(
          () =>
            new PreconditionFailedException({
              detail: `${error.message}; the current ETag is ${currentEtag}`,
              extensions: { currentEtag },
            }),
        );
      }),
    );
  }
}

/**
 * GET/HEAD answered 200 with an ETag that an If-None-Match tag matches (weak comparison, or
 * `*`) → 304 with no body. A Fastify hook, because Nest sets the route's status after the
 * interceptors have run.
 */
export function registerConditionalGet(fastify: FastifyInstance): void {
  fastify.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode !== 200 || (request.method !== 'GET' && request.method !== 'HEAD'))
      return payload;
    const etag = reply.getHeader('etag');
    const header = request.headers['if-none-match'];
    if (typeof etag !== 'string' || header === undefined) return payload;
    const tags = parseEntityTags(String(header));
    if (tags === undefined) return payload; // malformed: ignored, the full answer goes out
    const opaque = etag.replace(/^W\//, '');
    if (tags !== '*' && !tags.some((t) => `"${t.opaque}"` === opaque)) return payload;
    reply.code(304);
    reply.removeHeader('content-type');
    reply.removeHeader('content-length');
    return null;
  });
}

interface EntityTag {
  weak: boolean;
  /** Between the quotes. */
  opaque: string;
}

const ENTITY_TAG = /\s*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)/y;

/** RFC 9110 §13.1.1: `*` or a comma-separated list of entity tags; undefined when malformed. */
export function parseEntityTags(header: string): '*' | EntityTag[] | undefined {
  if (header.trim() === '*') return '*';
  const tags: EntityTag[] = [];
  ENTITY_TAG.lastIndex = 0;
  while (ENTITY_TAG.lastIndex < header.length) {
    const match = ENTITY_TAG.exec(header);
    if (!match) return undefined;
    tags.push({ weak: match[1] !== undefined, opaque: match[2] });
    if (tags.length > 50) return undefined;
  }
  return tags.length > 0 ? tags : undefined;
}

function routeOf(context: ExecutionContext): VersionedRoute | undefined {
  return Reflect.getMetadata(VERSIONED, context.getHandler()) as VersionedRoute | undefined;
}

/**
 * `.<digest>` of the answer's varying fields ('' when the route has none). Without the answer
 * (a StaleVersion that did not carry it) the tag has no digest: If-Match still accepts it, and
 * If-None-Match never matches it, so it cannot produce a stale 304.
 */
function variant(route: VersionedRoute, body: object | undefined): string {
  if (route.varies.length === 0 || !body) return '';
  const values = route.varies.map((field) => (body as Record<string, unknown>)[field] ?? null);
  const digest = createHash('sha256').update(JSON.stringify(values)).digest('base64url');
  return `.${digest.slice(0, 16)}`;
}

function tagPrefix(route: VersionedRoute, request: FastifyRequest): string {
  const params = request.params as Record<string, string | undefined>;
  const self = (request as { principal?: { userId?: string } }).principal?.userId;
  // Ids are UUIDs, matched case-insensitively by the routes: the tag uses their lower case.
  const ids = route.idParams.map((name) => (name === SELF ? self : params[name]) ?? '');
  return `${[route.resource, ...ids.map((id) => id.toLowerCase())].join('-')}-`;
}
