import { problemKind } from '../errors/problem';

/**
 * Completes the generated OpenAPI document so that it states what the API really does, from
 * what each route already declares — no per-route boilerplate, so a new module is documented
 * the day it is wired:
 *
 * - error responses derived from the route: its access rule (`x-access`: authenticated/admin →
 *   401, admin → 403, tenant → 401/403/404; `x-scopes` → 403 for API keys), its inputs (a body
 *   → 400/413/415; path or query parameters → 400; path parameters → 404), the global
 *   throttler (→ 429, except on @SkipThrottle routes), and the database behind every API route
 *   (→ 503); plus whatever a module declares itself (`@ApiConflictResponse` …);
 * - every 4xx/5xx response (derived or declared) carries `application/problem+json` with the
 *   shared `ProblemDetails` schema, 429 and 503 their `Retry-After` header;
 * - OpenAPI 3.1: nullable values are `type: [T, 'null']`, nullable references
 *   `anyOf: [{$ref}, {type: 'null'}]`, so `null` validates (3.0's `nullable` beside an `allOf`
 *   does not);
 * - a one-line summary on every operation (the handler's JSDoc, shortened to its first
 *   sentence; else a phrase made from the handler's name), `security: []` on public routes.
 */

/** What the document cannot say by itself about a route, read from the Nest metadata. */
export interface RouteFacts {
  /** Counted by the global throttler (false on @SkipThrottle routes). */
  throttled: boolean;
  /** The handler's method name (`findOne`), for the fallback summary. */
  handler: string;
}

export interface ContractOptions {
  /** operationId → facts; operations without facts are treated as throttled. */
  routes: Map<string, RouteFacts>;
  /** Paths under this prefix are database-backed API routes (503 when it is down or behind). */
  apiPrefix: string;
}

type Json = Record<string, unknown>;
type Schema = Json;

interface Operation extends Json {
  operationId?: string;
  summary?: string;
  description?: string;
  parameters?: Array<{ in: string; name: string; schema?: Schema } & Json>;
  requestBody?: Json;
  responses?: Record<string, Json>;
  security?: Array<Record<string, string[]>>;
  'x-access'?: { kind: string; role?: string };
  'x-scopes'?: string[];
  'x-idempotent'?: boolean;
  'x-versioned'?: { resource: string };
}

export const PROBLEM_SCHEMA = 'ProblemDetails';
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** RFC 9457 problem details, as ProblemFilter writes them. */
const PROBLEM_DETAILS: Schema = {
  type: 'object',
  description:
    'RFC 9457 problem details: every error of the API. `type` is stable per kind of problem (README, "Errors").',
  required: ['type', 'title', 'status', 'detail', 'instance'],
  properties: {
    type: { type: 'string', description: 'Kind of problem, e.g. /problems/not-found' },
    title: { type: 'string', description: 'Short summary of the kind' },
    status: { type: 'integer', minimum: 400, maximum: 599, description: 'The HTTP status' },
    detail: { type: 'string', description: 'What went wrong with this request' },
    instance: { type: 'string', description: 'The request path' },
    requestId: { type: 'string', description: 'X-Request-Id of the request, for the logs' },
    errors: {
      type: 'array',
      description: 'Field-level validation errors (400)',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before retrying',
    schema: { type: 'string' },
  },
};

/** What each derived status means when the route does not say it better itself. */
const DEFAULT_DESCRIPTIONS: Record<string, string> = {
  '400': 'Invalid input: malformed body, failed validation, unknown field or bad parameter',
  '401': 'Missing, invalid or expired credentials',
  '403': 'Authenticated but not allowed (role, platform admin or API-key scope)',
  '404': 'Not found, or not yours',
  '409': 'Conflict with the current state',
  '412':
    'If-Match names none of the current ETag: nothing was written (the current ETag is in the ETag header and `currentEtag`)',
  '413': 'The request body is larger than allowed',
  '415': 'The body is not JSON (or multipart/form-data where the route accepts it)',
  '429': 'Too many requests; retry after Retry-After seconds',
  '503': 'A dependency is unavailable (database down or migrations pending); retry later',
};

export function completeOpenApiDocument<T extends object>(
  document: T,
  options: ContractOptions,
): T {
  const doc = document as unknown as Json & {
    paths: Record<string, Record<string, Operation>>;
    components?: Json & { schemas?: Record<string, Schema> };
  };
  doc.openapi = '3.1.0';
  doc.components = doc.components ?? {};
  doc.components.schemas = { ...doc.components.schemas, [PROBLEM_SCHEMA]: PROBLEM_DETAILS };
  for (const schema of Object.values(doc.components.schemas)) toJsonSchema2020(schema);

  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const facts = op.operationId ? options.routes.get(op.operationId) : undefined;
      summarise(op, facts);
      if (op['x-access']?.kind === 'public') op.security = [];
      for (const p of op.parameters ?? []) {
        p.schema = { type: 'string', ...p.schema };
        toJsonSchema2020(p.schema);
      }
      for (const media of Object.values((op.requestBody?.content ?? {}) as Record<string, Json>))
        if (media.schema) toJsonSchema2020(media.schema as Schema);
      op.responses = op.responses ?? {};
      if (op['x-idempotent']) documentIdempotency(op);
      if (op['x-versioned']) documentVersioning(method, op);
      for (const status of derivedStatuses(path, op, facts, options)) {
        op.responses[status] = op.responses[status] ?? {};
      }
      for (const [status, response] of Object.entries(op.responses)) {
        for (const media of Object.values((response.content ?? {}) as Record<string, Json>))
          if (media.schema) toJsonSchema2020(media.schema as Schema);
        if (!/^[45]/.test(status)) continue;
        if (!response.description) response.description = describe(status);
        if (!response.content) {
          response.content = {
            [PROBLEM_MEDIA_TYPE]: { schema: { $ref: `#/components/schemas/${PROBLEM_SCHEMA}` } },
          };
        }
        if (status === '429' || status === '503')
          response.headers = { ...RETRY_AFTER, ...(response.headers as Json | undefined) };
      }
      op.responses = sortByStatus(op.responses);
    }
  }
  return document;
}

const IN_FLIGHT = 'or a request with the same Idempotency-Key is still in flight (Retry-After)';

/**
 * @Idempotent() routes (`x-idempotent`): the optional Idempotency-Key header, 409 while a request
 * with the key is in flight, 422 when the key was used with another request, and the
 * `Idempotent-Replayed` header on a replayed success (README, "Idempotency").
 */
function documentIdempotency(op: Operation): void {
  op.parameters = [
    ...(op.parameters ?? []),
    {
      in: 'header',
      name: 'Idempotency-Key',
      required: false,
      description:
        'Makes the request safe to retry: the first response is stored and replayed for the same key and request (24 h)',
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7e]+$' },
    } as { in: string; name: string; schema?: Schema },
  ];
  const responses = op.responses!;
  const conflict = responses['409'] ?? {};
  const said = typeof conflict.description === 'string' ? conflict.description : '';
  responses['409'] = {
    ...conflict,
    description: said
      ? `${said}, ${IN_FLIGHT}`
      : 'A request with the same Idempotency-Key is still in flight (Retry-After)',
    headers: { ...RETRY_AFTER, ...(conflict.headers as Json | undefined) },
  };
  responses['422'] = responses['422'] ?? {
    description: 'This Idempotency-Key was already used with a different request',
  };
  for (const [status, response] of Object.entries(responses)) {
    if (!/^2/.test(status)) continue;
    response.headers = {
      'Idempotent-Replayed': {
        description: '`true` when this is the stored response of an earlier request with the key',
        schema: { type: 'string', enum: ['true'] },
      },
      ...(response.headers as Json | undefined),
    };
  }
}

const ETAG_HEADER = {
  ETag: {
    description: 'Strong entity tag of this version of the resource (changes on every write)',
    schema: { type: 'string' },
  },
};

/**
 * A @Versioned route (src/common/http/etag.ts): the ETag header on its 2xx answers; a GET takes
 * If-None-Match (→ 304, no body), a write takes If-Match (→ 412 when stale; malformed → 400).
 */
function documentVersioning(method: string, op: Operation): void {
  const read = method === 'get' || method === 'head';
  op.parameters = [
    ...(op.parameters ?? []),
    read
      ? {
          in: 'header',
          name: 'If-None-Match',
          required: false,
          description:
            'ETag(s) you hold: 304 with no body while the resource still has one of them',
          schema: { type: 'string' },
        }
      : {
          in: 'header',
          name: 'If-Match',
          required: false,
          description:
            'ETag(s) from an earlier answer: the write happens only if the resource still has one (else 412); absent → unconditional',
          schema: { type: 'string' },
        },
  ];
  const responses = (op.responses = op.responses ?? {});
  for (const [status, response] of Object.entries(responses)) {
    if (/^2/.test(status) && status !== '204')
      response.headers = { ...(response.headers as Json | undefined), ...ETAG_HEADER };
  }
  if (read)
    responses['304'] = responses['304'] ?? {
      description: 'Not modified (If-None-Match)',
      headers: ETAG_HEADER,
    };
  else {
    responses['412'] = responses['412'] ?? {
      headers: ETAG_HEADER,
    };
  }
}

/** The error statuses the route can answer, from what it declares. */
function derivedStatuses(
  path: string,
  op: Operation,
  facts: RouteFacts | undefined,
  options: ContractOptions,
): string[] {
  const statuses = new Set<string>();
  const access = op['x-access']?.kind;
  const params = op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  if (op.requestBody || params.some((p) => p.in === 'path' || p.in === 'query'))
    statuses.add('400');
  if (access === 'authenticated' || access === 'admin' || access === 'tenant' || access === 'token')
    statuses.add('401');
  if (access === 'admin' || access === 'tenant' || (access && op['x-scopes']?.length))
    statuses.add('403');
  if (access === 'tenant' || pathParams.length > 0) statuses.add('404');
  if (op.requestBody) {
    statuses.add('413');
    statuses.add('415');
  }
  if (facts?.throttled ?? true) statuses.add('429');
  if (path === options.apiPrefix || path.startsWith(`${options.apiPrefix}/`)) statuses.add('503');
  return [...statuses];
}

function describe(status: string): string {
  return DEFAULT_DESCRIPTIONS[status] ?? problemKind(Number(status)).title;
}

/** A one-line summary: the JSDoc's first sentence (the whole text becomes the description), else the handler's name as a phrase. */
function summarise(op: Operation, facts: RouteFacts | undefined): void {
  const text = op.summary?.replace(/\s+/g, ' ').trim();
  if (text) {
    const first = firstSentence(text);
    if (first !== text) op.description = op.description ?? text;
    op.summary = first;
    return;
  }
  const name = facts?.handler ?? op.operationId?.split('_').pop() ?? 'operation';
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  op.summary = words.charAt(0).toUpperCase() + words.slice(1);
}

/** Up to the first full stop that ends a sentence (not inside brackets or `code`), without it. */
function firstSentence(text: string): string {
  let depth = 0;
  let code = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '`') code = !code;
    else if (!code && (c === '(' || c === '[' || c === '{')) depth++;
    else if (!code && (c === ')' || c === ']' || c === '}')) depth = Math.max(0, depth - 1);
    else if (c === '.' && !code && depth === 0 && (i === text.length - 1 || text[i + 1] === ' '))
      return text.slice(0, i);
  }
  return text;
}

function sortByStatus(responses: Record<string, Json>): Record<string, Json> {
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * OpenAPI 3.0 schema idioms (as @nestjs/swagger emits them) → OpenAPI 3.1 / JSON Schema 2020-12,
 * in place: `nullable`, boolean `exclusiveMinimum`/`exclusiveMaximum`.
 */
export function toJsonSchema2020(schema: Schema): void {
  if (!schema || typeof schema !== 'object') return;
  for (const key of ['properties', 'patternProperties', '$defs'] as const) {
    const children = schema[key] as Record<string, Schema> | undefined;
    if (children) for (const child of Object.values(children)) toJsonSchema2020(child);
  }
  for (const key of ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const) {
    const list = schema[key] as Schema[] | undefined;
    if (list) for (const child of list) toJsonSchema2020(child);
  }
  for (const key of ['items', 'additionalProperties', 'not'] as const) {
    const child = schema[key];
    if (child && typeof child === 'object') toJsonSchema2020(child as Schema);
  }

  for (const [bound, limit] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof schema[bound] === 'boolean') {
      if (schema[bound] && typeof schema[limit] === 'number') {
        schema[bound] = schema[limit];
        delete schema[limit];
      } else delete schema[bound];
    }
  }

  const nullable = schema.nullable;
  delete schema.nullable;
  if (nullable !== true) return;
  const alternatives = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  const refLike = schema.$ref ?? (Array.isArray(schema.allOf) && schema.allOf.length === 1);
  if (refLike && !schema.properties) {
    // A nullable reference: the referenced shape, or null.
    const target = schema.$ref ? { $ref: schema.$ref } : (schema.allOf as Schema[])[0];
    delete schema.$ref;
    delete schema.allOf;
    delete schema.type;
    schema.anyOf = [target, { type: 'null' }];
  } else if (alternatives) {
    alternatives.push({ type: 'null' });
  } else if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.includes('null')) schema.type = [...types, 'null'];
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum.push(null);
  }
}
