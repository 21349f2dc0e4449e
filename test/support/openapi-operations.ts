import { randomUUID } from 'node:crypto';

/**
 * The route table, read from the app's own OpenAPI document (/docs-json): every operation
 * with its access rule (x-access), path/query parameters and JSON body schema. The security
 * suites loop over it, so a route is covered the day it is added, with no new test code.
 */

export type Access =
  | { kind: 'public' }
  | { kind: 'authenticated' }
  | { kind: 'admin' }
  | { kind: 'tenant'; role: 'member' | 'admin' | 'owner' }
  /** Operations routes (GET /metrics): only their own bearer token, never a user's credentials. */
  | { kind: 'token'; token: string };

export interface Schema {
  /** OpenAPI 3.1 may list several (`['string', 'null']`); resolve() keeps one and sets `nullable`. */
  type?: string;
  format?: string;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  $ref?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  nullable?: boolean;
  default?: unknown;
  example?: unknown;
  additionalProperties?: boolean | Schema;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path, e.g. /v1/entities/{entityId}/members/{userId} */
  path: string;
  /** "POST /v1/entities/{entityId}" — how failures are reported. */
  label: string;
  access: Access | undefined;
  /** Documented path parameters (a parameter read through a decorator like @Tenant() may be missing here). */
  pathParams: Parameter[];
  /** Every {name} in the path template, documented or not. */
  pathNames: string[];
  queryParams: Parameter[];
  /** Documented request headers (Idempotency-Key on @Idempotent() routes). */
  headerParams: Parameter[];
  /** Resolved JSON body schema, when the operation takes a JSON body. */
  body: Schema | undefined;
  /** Content types the operation documents for its body (json, multipart…). */
  bodyTypes: string[];
  /** Resolved multipart/form-data schema, when the operation takes a form (file uploads). */
  multipart: Schema | undefined;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export function listOperations(doc: OpenApiDocument): Operation[] {
  const resolve = (schema: Schema | undefined, seen = new Set<string>()): Schema | undefined => {
    if (!schema) return undefined;
    if (schema.$ref) {
      const name = schema.$ref.replace('#/components/schemas/', '');
      if (seen.has(name)) return { type: 'object' };
      return resolve(doc.components?.schemas?.[name], new Set(seen).add(name));
    }
    if (schema.allOf) {
      const parts = schema.allOf.map((s) => resolve(s, seen) ?? {});
      return parts.reduce<Schema>(
        (acc, p) => ({
          ...acc,
          ...p,
          properties: { ...acc.properties, ...p.properties },
          required: [...(acc.required ?? []), ...(p.required ?? [])],
        }),
        {},
      );
    }
    // OpenAPI 3.1 nullability (`type: [T, 'null']`, `anyOf: [X, {type: 'null'}]`) → T + nullable.
    const types = schema.type as string | string[] | undefined;
    if (Array.isArray(types)) {
      const rest = types.filter((t) => t !== 'null');
      return resolve(
        { ...schema, type: rest[0], nullable: rest.length < types.length || undefined },
        seen,
      );
    }
    const alternatives = schema.anyOf ?? schema.oneOf;
    const nonNull = alternatives?.filter((s) => (s.type as unknown) !== 'null');
    if (alternatives && nonNull?.length === 1 && alternatives.length === 2) {
      const rest: Schema = { ...schema, ...nonNull[0] };
      if (!nonNull[0].anyOf) delete rest.anyOf;
      if (!nonNull[0].oneOf) delete rest.oneOf;
      return { ...resolve(rest, seen), nullable: true };
    }
    const out: Schema = { ...schema };
    if (schema.properties) {
      out.properties = Object.fromEntries(
        Object.entries(schema.properties).map(([k, v]) => [k, resolve(v, seen) ?? {}]),
      );
      if (!out.type) out.type = 'object';
    }
    if (schema.items) out.items = resolve(schema.items, seen);
    if (schema.oneOf) out.oneOf = schema.oneOf.map((s) => resolve(s, seen) ?? {});
    if (schema.anyOf) out.anyOf = schema.anyOf.map((s) => resolve(s, seen) ?? {});
    return out;
  };

  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    const shared = ((item as { parameters?: Parameter[] }).parameters ?? []) as Parameter[];
    for (const method of METHODS) {
      const op = item[method] as
        | {
            parameters?: Parameter[];
            requestBody?: { content?: Record<string, { schema?: Schema }> };
            'x-access'?: Access;
          }
        | undefined;
      if (!op) continue;
      const params = [...shared, ...(op.parameters ?? [])].map((p) => ({
        ...p,
        schema: resolve(p.schema),
      }));
      const content = op.requestBody?.content ?? {};
      const jsonType = Object.keys(content).find((t) => /json/i.test(t));
      operations.push({
        method,
        path,
        label: `${method.toUpperCase()} ${path}`,
        access: op['x-access'],
        pathParams: [
          ...params.filter((p) => p.in === 'path'),
          ...[...path.matchAll(/\{([^}]+)\}/g)]
            .map((m) => m[1])
            .filter((name) => !params.some((p) => p.in === 'path' && p.name === name))
            .map((name) => ({
              name,
              in: 'path' as const,
              required: true,
              schema: { type: 'string' },
            })),
        ],
        pathNames: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]),
        queryParams: params.filter((p) => p.in === 'query'),
        headerParams: params.filter((p) => p.in === 'header'),
        body: jsonType ? resolve(content[jsonType].schema) : undefined,
        multipart: content['multipart/form-data']
          ? resolve(content['multipart/form-data'].schema)
          : undefined,
        bodyTypes: Object.keys(content),
      });
    }
  }
  return operations;
}

/** The path parameter that names the tenant: the access guard reads `:entityId` on tenant routes. */
export function entityParamOf(op: Operation): string | undefined {
  if (op.access?.kind !== 'tenant') return undefined;
  return op.pathNames.includes('entityId') ? 'entityId' : undefined;
}

/** A path parameter that carries an id (UUID) by naming convention or schema. */
export function isIdParam(p: Parameter): boolean {
  return p.schema?.format === 'uuid' || /(^id$|Id$)/.test(p.name);
}

/** Fills the path: the tenant parameter gets `entityId`, every other parameter `values[name]` or a random UUID. */
export function buildPath(
  op: Operation,
  entityId: string | undefined,
  values: Record<string, string> = {},
): string {
  // The tenant parameter, or (on public and admin routes) the parameter right after /entities/.
  const tenantParam = entityParamOf(op) ?? /\/entities\/\{([^}]+)\}/.exec(op.path)?.[1];
  return op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (name in values) return encodeURIComponent(values[name]);
    if (name === tenantParam && entityId) return entityId;
    return randomUUID();
  });
}

let counter = 0;
/** A value that satisfies the schema as far as a generic generator can tell. */
export function sampleValue(schema: Schema | undefined, name = 'field'): unknown {
  if (!schema) return 'sample';
  if (schema.example !== undefined) return schema.example;
  if (schema.enum?.length) return schema.enum[0];
  if (schema.default !== undefined && schema.default !== null) return schema.default;
  if (schema.oneOf?.length) return sampleValue(schema.oneOf[0], name);
  if (schema.anyOf?.length) return sampleValue(schema.anyOf[0], name);
  switch (schema.type) {
    case 'object':
      return sampleObject(schema);
    case 'array': {
      const n = Math.max(1, schema.minItems ?? 1);
      return Array.from({ length: n }, () => sampleValue(schema.items, name));
    }
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : 1;
      const max = typeof schema.maximum === 'number' ? schema.maximum : Math.max(min, 10);
      return Math.min(Math.max(min, 1), max);
    }
    case 'boolean':
      return true;
    default:
      return sampleString(schema, name);
  }
}

function sampleString(schema: Schema, name: string): string {
  const n = ++counter;
  const lower = name.toLowerCase();
  if (schema.format === 'email' || lower.includes('email'))
    return `sample${n}-${randomUUID().slice(0, 8)}@example.com`;
  if (schema.format === 'uuid' || /(^id$|Id$)/.test(name)) return randomUUID();
  if (schema.format === 'date-time' || lower.endsWith('at')) return new Date().toISOString();
  if (schema.format === 'date') return new Date().toISOString().slice(0, 10);
  if (
    schema.format === 'uri' ||
    schema.format === 'url' ||
    lower.includes('url') ||
    lower.includes('website')
  ) {
    return 'https://example.com/';
  }
  if (lower.includes('password')) return 'Correct-Horse-9-Battery';
  if (lower.includes('phone')) return '+15555550123';
  const min = schema.minLength ?? 1;
  const max = schema.maxLength ?? 64;
  if (schema.pattern) {
    const re = new RegExp(schema.pattern);
    const fit = [
      `sample-${n}`,
      `sample${n}`,
      `Sample${n}`,
      `SAMPLE${n}`,
      `${n}`,
      'sample',
      'a',
    ].find((c) => re.test(c) && c.length >= min && c.length <= max);
    if (fit) return fit;
  }
  let value = `Sample${n}`;
  if (value.length < min) value = value.padEnd(min, 'x');
  return value.slice(0, Math.max(min, Math.min(max, value.length)));
}

/**
 * The smallest valid body: required fields only. Optional fields can depend on each other
 * (a new password needs the current one), so hostile cases add the one field they attack.
 */
export function sampleObject(schema: Schema | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(schema?.properties ?? {})) {
    if (schema?.required?.includes(key)) out[key] = sampleValue(prop, key);
  }
  return out;
}

/** The JSON type a property expects, for wrong-type generation. */
export function typeOf(schema: Schema | undefined): string {
  if (!schema) return 'unknown';
  if (schema.enum) return 'enum';
  if (schema.type) return schema.type;
  if (schema.properties) return 'object';
  return 'unknown';
}
