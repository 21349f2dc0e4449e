import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtension,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiParam,
  ApiSecurity,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

/** Roles inside an entity, weakest first. */
export const ROLES = ['member', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

/** What an API key may be granted; `@Scopes` takes only these, so a typo fails the build. */
export const SCOPES = [
  'tasks:read',
  'tasks:write',
  'tasks:work',
  'leads:read',
  'leads:write',
  'crawls:read',
  'crawls:write',
  'analytics:read',
] as const;
export type Scope = (typeof SCOPES)[number];

/** The route parameter that names the entity of a tenant route (`/entities/:entityId/…`). */
export const TENANT_PARAM = 'entityId';

/** Who is calling: a user through a JWT, or a user's API key (with its scopes). */
export interface Principal {
  userId: string;
  isAdmin: boolean;
  via: 'jwt' | 'api_key';
  /** API keys only: the scopes granted to the key. JWT callers have every scope. */
  scopes?: readonly Scope[];
  apiKeyId?: string;
  /** JWT only: the session (sign-in) the access token belongs to (its `sid`). */
  sessionId?: string;
}

/** The caller's membership in the entity named by the route's `:entityId`. */
export interface TenantContext {
  entityId: string;
  userId: string;
  role: Role;
}

export type Access =
  | { kind: 'public' }
  | { kind: 'authenticated' }
  /** `token`: also open to a request carrying that named token (see AccessGuard.namedTokens). */
  | { kind: 'admin'; token?: NamedToken }
  | { kind: 'tenant'; role: Role }
  /** Only `Authorization: Bearer <that token>` (never a user's JWT or API key): operations routes. */
  | { kind: 'token'; token: BearerToken };

/** Bearer tokens of operations routes, by name; their values come from AppConfig. */
export type BearerToken = 'metrics';

/** Tokens a route may accept instead of an admin, by name; their values come from AppConfig. */
export type NamedToken = 'health-details';
export const NAMED_TOKEN_HEADER = 'x-health-token';

export const ACCESS_KEY = 'cornerstone:access';
export const SCOPES_KEY = 'cornerstone:scopes';

/** The access rule, as route metadata for the guard and as `x-access` in the OpenAPI document (for the access-matrix suite). */
const declare = (access: Access) =>
  applyDecorators(SetMetadata(ACCESS_KEY, access), ApiExtension('x-access', access));

const docs401 = ApiUnauthorizedResponse({ description: 'Missing, invalid or expired credentials' });
// A fresh pair per route: ApiSecurity keeps its metadata in a closure and extends it on every
// application, so shared instances piled up one more `bearer` entry per decorated route.
const security = () => [ApiBearerAuth('bearer'), ApiSecurity('api-key')];

/** No credentials needed. */
export const Public = () => declare({ kind: 'public' });

/** Any active user (JWT or API key). */
export const Authenticated = () =>
  applyDecorators(declare({ kind: 'authenticated' }), ...security(), docs401);

/** Platform administrators only (users.is_admin). */
export const Admin = (options: { token?: NamedToken } = {}) =>
  applyDecorators(
    declare(options.token ? { kind: 'admin', token: options.token } : { kind: 'admin' }),
    ...security(),
    docs401,
    ApiForbiddenResponse({ description: 'Not a platform administrator' }),
  );

/**
 * An active membership with at least `role` in the entity named by the route's `:entityId`
 * (a route without that parameter stops the app at start). Non-members get 404 so ids of
 * other tenants are never confirmed; members with a weaker role get 403.
 */
export const TenantRole = (role: Role = 'member') =>
  applyDecorators(
    declare({ kind: 'tenant', role }),
    ApiParam({ name: TENANT_PARAM, format: 'uuid', description: 'The entity (organisation) id' }),
    ...security(),
    docs401,
    ApiForbiddenResponse({ description: `Needs the ${role} role in this entity` }),
    ApiNotFoundResponse({ description: 'No such entity, or not a member of it' }),
  );

/**
 * Only a request carrying the named bearer token (GET /metrics: METRICS_TOKEN); 401 to anyone
 * else, users and platform admins included, and to everyone while the token is not set.
 */
export const BearerTokenOnly = (token: BearerToken) =>
  applyDecorators(
    declare({ kind: 'token', token }),
    ApiBearerAuth('bearer'),
    ApiUnauthorizedResponse({ description: 'The token is missing or wrong, or not configured' }),
  );

/** API keys must carry every listed scope (JWT callers always pass). */
export const Scopes = (...scopes: Scope[]) =>
  applyDecorators(SetMetadata(SCOPES_KEY, scopes), ApiExtension('x-scopes', scopes));

export interface AuthenticatedRequest {
  principal?: Principal;
  tenant?: TenantContext;
}

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => {
    return ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal!;
  },
);

export const Tenant = createParamDecorator((_: unknown, ctx: ExecutionContext): TenantContext => {
  return ctx.switchToHttp().getRequest<AuthenticatedRequest>().tenant!;
});
