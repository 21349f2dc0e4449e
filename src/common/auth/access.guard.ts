import {
  BadRequestException,
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  NotFoundException,
  OnModuleInit,
  Optional,
  UnauthorizedException,
} from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { PATH_METADATA } from '@nestjs/common/constants';
import { AppConfig } from '../../config/app-config';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import {
  Access,
  ACCESS_KEY,
  BearerToken,
  AuthenticatedRequest,
  NAMED_TOKEN_HEADER,
  NamedToken,
  Principal,
  roleAtLeast,
  Scope,
  SCOPES_KEY,
  TENANT_PARAM,
} from './access';
import { AccessTokenResolver, ApiKeyResolver, MembershipResolver } from './access-ports';
import { isUuid } from '../uuid';

/**
 * The one guard chain: reads the route's declared access (@Public, @Authenticated, @Admin,
 * @TenantRole, @Scopes). A route that declares nothing is refused (403), so nothing ships
 * unguarded by accident; the access-matrix suite fails on such a route too.
 */
@Injectable()
export class AccessGuard implements CanActivate, OnModuleInit {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokenResolver,
    private readonly apiKeys: ApiKeyResolver,
    private readonly memberships: MembershipResolver,
    @Optional() private readonly discovery?: DiscoveryService,
    @Optional() private readonly config?: AppConfig,
  ) {}

  /** The value of each named token a route may accept instead of an admin (null: not set). */
  private namedToken(name: NamedToken): string | null {
    if (name === 'health-details') return this.config?.health.detailsToken ?? null;
    return null;
  }

  private carriesToken(request: FastifyRequest, name: NamedToken): boolean {
    return sameSecret(request.headers[NAMED_TOKEN_HEADER], this.namedToken(name));
  }

  private carriesBearer(request: FastifyRequest, name: BearerToken): boolean {
    const expected = name === 'metrics' ? (this.config?.metrics.token ?? null) : null;
    const header = request.headers.authorization;
    const given =
      typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
    return sameSecret(given, expected);
  }

  /** A @TenantRole route must name its entity `:entityId`: anything else stops the app at start. */
  onModuleInit(): void {
    for (const wrapper of this.discovery?.getControllers() ?? []) {
      const controller = wrapper.metatype;
      if (!controller) continue;
      const base = this.reflector.get<string | string[]>(PATH_METADATA, controller) ?? '';
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const access = this.reflector.get<Access | undefined>(ACCESS_KEY, handler);
        if (access?.kind !== 'tenant') continue;
        const path = `${String(base)}/${String(this.reflector.get<string>(PATH_METADATA, handler) ?? '')}`;
        if (!path.split('/').includes(`:${TENANT_PARAM}`)) {
          throw new Error(
            `${controller.name}.${name} (${path}) declares @TenantRole but has no :${TENANT_PARAM} parameter`,
          );
        }
      }
    }
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, targets);
    if (!access) throw new ForbiddenException('This route declares no access rule');
    if (access.kind === 'public') return true;

    const request = context.switchToHttp().getRequest<FastifyRequest & AuthenticatedRequest>();
    if (access.kind === 'token') {
      if (this.carriesBearer(request, access.token)) return true;
      throw new UnauthorizedException('This route needs its bearer token');
    }
    if (access.kind === 'admin' && access.token && this.carriesToken(request, access.token))
      return true;
    const principal = await this.authenticate(request);
    request.principal = principal;

    const scopes = this.reflector.getAllAndOverride<Scope[] | undefined>(SCOPES_KEY, targets);
    if (principal.via === 'api_key' && scopes?.some((s) => !principal.scopes?.includes(s))) {
      throw new ForbiddenException(`This API key lacks the scope(s): ${scopes.join(', ')}`);
    }

    if (access.kind === 'admin' && !principal.isAdmin) {
      throw new ForbiddenException('Only platform administrators may do this');
    }
    if (access.kind === 'tenant') {
      const entityId = (request.params as Record<string, string | undefined>)[TENANT_PARAM];
      if (!entityId || !isUuid(entityId)) {
        throw new BadRequestException({
          detail: 'entity id must be a UUID',
          errors: [{ field: TENANT_PARAM, message: 'must be a UUID' }],
        });
      }
      const role = await this.memberships.roleOf(principal.userId, entityId.toLowerCase());
      if (!role) throw new NotFoundException('Entity not found');
      if (!roleAtLeast(role, access.role)) {
        throw new ForbiddenException(
          `This needs the ${access.role} role in the entity; you are ${role}`,
        );
      }
      request.tenant = { entityId: entityId.toLowerCase(), userId: principal.userId, role };
    }
    return true;
  }

  private async authenticate(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization;
    const apiKeyHeader = request.headers['x-api-key'];
    let principal: Principal | null = null;
    if (typeof header === 'string' && header.length > 0) {
      const match = /^Bearer\s+(\S{1,4096})$/i.exec(header);
      if (!match) throw new UnauthorizedException('Authorization must be "Bearer <token>"');
      const token = match[1];
      principal = token.startsWith('ck_')
        ? await this.apiKeys.fromApiKey(token)
        : await this.tokens.fromAccessToken(token);
    } else if (typeof apiKeyHeader === 'string' && apiKeyHeader.length > 0) {
      principal = await this.apiKeys.fromApiKey(apiKeyHeader);
    } else {
      throw new UnauthorizedException(
        'Authentication required: send a Bearer token or an X-API-Key',
      );
    }
    if (!principal) throw new UnauthorizedException('Invalid or expired credentials');
    return principal;
  }
}

/** Constant-time comparison of a presented secret with the configured one (false when either is missing). */
function sameSecret(given: unknown, expected: string | null): boolean {
  if (!expected || typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
