import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * CI gate: every response an e2e suite receives is checked against the app's own OpenAPI
 * document (/docs-json) — the status is documented for the operation, the content type is one
 * the document lists, and a JSON body validates against its schema (JSON Schema 2020-12, as
 * OpenAPI 3.1 defines it, with ajv). startTestApp installs the check as a Fastify onSend hook,
 * so supertest calls and fastify.inject calls alike go through it; violations are collected
 * here and test/support/response-contract.setup.ts fails the test that produced them.
 */

interface MediaType {
  schema?: Record<string, unknown>;
}
interface Response {
  content?: Record<string, MediaType>;
}
interface Operation {
  responses?: Record<string, Response>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}

const violations: string[] = [];

/** The violations seen since the last call (and forgets them). */
export function takeContractViolations(): string[] {
  return violations.splice(0, violations.length);
}

/** Responses the document does not describe by design: Swagger UI and the document itself. */
const UNDOCUMENTED = /^\/docs(?:[/-]|$)/;
const PROBLEM_REF = '#/components/schemas/ProblemDetails';

export class ResponseContract {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly doc: OpenApiDocument) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addFormat('binary', true);
    // The components under one id, refs rewritten to point there.
    this.ajv.addSchema({
      $id: 'openapi:components',
      $defs: rewriteRefs(doc.components?.schemas ?? {}),
    });
  }

  /** A description of what is wrong with this response, or null when it matches the document. */
  check(res: {
    method: string;
    /** The route template Fastify matched (`/v1/entities/:entityId`), if any. */
    route: string | undefined;
    url: string;
    status: number;
    contentType: string | undefined;
    body: string | Buffer | null | undefined;
  }): string | null {
    const method = res.method.toLowerCase();
    const path = res.url.split('?')[0];
    const where = `${res.method} ${path} → ${res.status}`;
    if (UNDOCUMENTED.test(path) || method === 'head' || method === 'options') return null;
    const template = res.route?.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const op = template ? this.doc.paths[template]?.[method] : undefined;
    const mediaType = (res.contentType ?? '').split(';')[0].trim().toLowerCase();

    let documented: Response | undefined;
    if (!op) {
      // No route matched (unknown path or method): only a problem is a fitting answer.
      if (res.status < 400) return `${where}: the route is not in the OpenAPI document`;
      documented = {
        content: { 'application/problem+json': { schema: { $ref: PROBLEM_REF } } },
      };
    } else {
      const responses = op.responses ?? {};
      documented =
        responses[String(res.status)] ??
        responses[`${String(res.status)[0]}XX`] ??
        responses.default;
      if (!documented) {
        return `${where}: status ${res.status} is not documented for ${method.toUpperCase()} ${template} (documented: ${Object.keys(responses).join(', ')})`;
      }
    }

    const content = documented.content;
    const text = typeof res.body === 'string' ? res.body : res.body?.toString('utf8');
    if (!content || Object.keys(content).length === 0) {
      if (text) return `${where}: the document says no body, got ${mediaType || 'a body'}`;
      return null;
    }
    const key = Object.keys(content).find((k) => mediaMatches(k, mediaType));
    if (!key) {
      if (res.status === 304) return null;
      return `${where}: content type "${mediaType}" is not documented (documented: ${Object.keys(content).join(', ')})`;
    }
    const schema = content[key].schema;
    if (!schema || !/[/+]json$/.test(mediaType) || res.body === null || res.body === undefined)
      return null;
    let body: unknown;
    try {
      body = JSON.parse(text ?? '');
    } catch {
      return `${where}: the ${mediaType} body is not JSON`;
    }
    const validate = this.validator(`${template ?? '*'} ${method} ${res.status} ${key}`, schema);
    if (validate(body)) return null;
    const errors = (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''}`)
      .join('; ');
    return `${where}: the body does not match the documented schema: ${errors}\n  body: ${(text ?? '').slice(0, 400)}`;
  }

  private validator(key: string, schema: Record<string, unknown>): ValidateFunction {
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile(rewriteRefs(schema));
      this.compiled.set(key, fn);
    }
    return fn;
  }
}

function mediaMatches(documented: string, actual: string): boolean {
  const d = documented.split(';')[0].trim().toLowerCase();
  if (d === actual || d === '*/*') return true;
  return d.endsWith('/*') && actual.startsWith(d.slice(0, -1));
}

/** `#/components/schemas/X` → `openapi:components#/$defs/X` (deep copy). */
function rewriteRefs<T>(value: T): T {
  if (Array.isArray(value)) return value.map(rewriteRefs) as T;
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      k === '$ref' && typeof v === 'string'
        ? v.replace(/^#\/components\/schemas\//, 'openapi:components#/$defs/')
        : rewriteRefs(v);
  }
  return out as T;
}

/**
 * Checks every response of `fastify` once `contract` resolves (the document is read from the
 * app itself after it is ready). Must be called before the instance is ready.
 */
export function installResponseContract(
  fastify: FastifyInstance,
  contract: () => ResponseContract | undefined,
): void {
  fastify.addHook(
    'onSend',
    (request: FastifyRequest, reply: FastifyReply, payload: unknown, done) => {
      const checker = contract();
      if (checker) {
        const body =
          typeof payload === 'string' || Buffer.isBuffer(payload)
            ? payload
            : payload === null || payload === undefined
              ? null
              : undefined; // a stream (file download): status and content type only
        const problem = checker.check({
          method: request.method,
          route: request.routeOptions?.url,
          url: request.url,
          status: reply.statusCode,
          contentType: reply.getHeader('content-type') as string | undefined,
          body,
        });
        if (problem) violations.push(problem);
      }
      done(null, payload);
    },
  );
}
