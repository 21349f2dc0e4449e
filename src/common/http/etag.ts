import {
  applyDecorators,
  BadRequestException,
  createParamDecorator,
  ExecutionContext,
  PreconditionFailedException,
} from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiExtension } from '@nestjs/swagger';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';

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
 * the ProblemFilter turns it into 412 problem+json carrying the current tag (header and
 * `currentEtag`, `staleVersionProblem`). The tag of a success is set by a Fastify
 * `preSerialization` hook from the route's config, not by an interceptor: one interceptor on a
 * route puts Nest's rxjs chain on every request, ~20% of a lead-by-id's CPU (issue 20). The
 * OpenAPI document gets the headers and the 304 / 412 answers from the `x-versioned` extension
 * (src/common/openapi/openapi-contract.ts).
 */

export const VERSIONED_EXTENSION = 'x-versioned';

/**
 * In place of a path parameter: the signed-in user's id, for `/me` routes, so that
 * `PATCH /users/me` and `GET /users/{id}` of the same user answer the same tag.
 */
export const SELF = ':self';
/**
 * The key of the route's VersionedRoute in Fastify's route config (`request.routeOptions.config`),
 * where the hooks, the ProblemFilter and @IfMatch() all read it.
 */
const VERSIONED_CONFIG = 'cornerstoneVersioned';

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
    RouteConfig({ [VERSIONED_CONFIG]: route }),
    ApiExtension(VERSIONED_EXTENSION, { resource }),
  );
}

/** The If-Match condition of the request, for the service's conditional write. */
export const IfMatch = createParamDecorator(
  (_: unknown, context: ExecutionContext): VersionCondition => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const route = versionedRouteOf(request);
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

function versionedRouteOf(request: FastifyRequest): VersionedRoute | undefined {
  const config = request.routeOptions?.config as unknown as Record<string, unknown> | undefined;
  return config?.[VERSIONED_CONFIG] as VersionedRoute | undefined;
}

function tagOf(
  route: VersionedRoute,
  request: FastifyRequest,
  version: number,
  body: object | undefined,
): string {
  return `"${tagPrefix(route, request)}${version}${variant(route, body)}"`;
}

/**
 * The 412 for a StaleVersion (the ProblemFilter's): the current tag in `ETag` and in
 * `currentEtag`; without a @Versioned route (none throws it today) a plain 412.
 */
export function staleVersionProblem(
  error: StaleVersion,
  request: FastifyRequest,
  reply: FastifyReply,
): PreconditionFailedException {
  const route = versionedRouteOf(request);
  if (!route) return error;
  const currentEtag = tagOf(route, request, error.current, error.representation);
  reply.header('ETag', currentEtag);
  return new PreconditionFailedException({
    detail: `${error.message}; the current ETag is ${currentEtag}`,
    extensions: { currentEtag },
  });
}

/**
 * GET/HEAD answered 200 with an ETag that an If-None-Match tag matches (weak comparison, or
 * `*`) → 304 with no body. A Fastify hook, because Nest sets the route's status after the
 * interceptors have run.
 */
export function registerConditionalGet(fastify: FastifyInstance): void {
  // The ETag of a @Versioned route's answer, from its `version` (before serialisation: the
  // payload is still the object the handler returned).
  fastify.addHook('preSerialization', (request, reply, payload, done) => {
    const route = versionedRouteOf(request);
    const version = route && (payload as { version?: unknown } | null)?.version;
    if (route && typeof version === 'number')
      reply.header('ETag', tagOf(route, request, version, payload as object));
    done(null, payload);
  });
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
