import {
  BadRequestException,
  ExecutionContext,
  ForbiddenException,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Access, ACCESS_KEY, Principal, Role, SCOPES_KEY } from './access';
import { AccessTokenResolver, ApiKeyResolver, MembershipResolver } from './access-ports';
import { AccessGuard } from './access.guard';

const ENTITY = '11111111-2222-4333-8444-555555555555';
const user: Principal = { userId: 'u1', isAdmin: false, via: 'jwt' };

function guardWith(principal: Principal | null, role: Role | null) {
  const tokens: AccessTokenResolver = {
    fromAccessToken: async (token) => (token === 'good' ? principal : null),
  };
  const apiKeys: ApiKeyResolver = {
    fromApiKey: async (key) => (key === 'ck_good' ? principal : null),
  };
  const memberships: MembershipResolver = { roleOf: async () => role };
  return new AccessGuard(new Reflector(), tokens, apiKeys, memberships);
}

function context(
  access: Access | undefined,
  request: Record<string, unknown>,
  scopes?: string[],
): ExecutionContext {
  const handler = () => undefined;
  if (access) Reflect.defineMetadata(ACCESS_KEY, access, handler);
  if (scopes) Reflect.defineMetadata(SCOPES_KEY, scopes, handler);
  const live = { headers: {}, params: {}, ...request };
  return {
    getType: () => 'http',
    getHandler: () => handler,
    getClass: () => class {},
    switchToHttp: () => ({ getRequest: () => live }),
    live,
  } as unknown as ExecutionContext;
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('AccessGuard', () => {
  it('refuses a route that declares no access rule', async () => {
    await expect(guardWith(user, null).canActivate(context(undefined, {}))).rejects.toThrow(
      ForbiddenException,
    );
  });

  it('lets anyone through a public route', async () => {
    await expect(guardWith(null, null).canActivate(context({ kind: 'public' }, {}))).resolves.toBe(
      true,
    );
  });

  it('answers 401 without credentials, with a malformed header, or with a bad token', async () => {
    const guard = guardWith(user, null);
    const access: Access = { kind: 'authenticated' };
    await expect(guard.canActivate(context(access, {}))).rejects.toThrow(UnauthorizedException);
    await expect(
      guard.canActivate(context(access, { headers: { authorization: 'Basic abc' } })),
    ).rejects.toThrow(UnauthorizedException);
    await expect(guard.canActivate(context(access, bearer('bad')))).rejects.toThrow(
      UnauthorizedException,
    );
  });

  it('accepts an API key as Bearer ck_… or X-API-Key', async () => {
    const guard = guardWith({ ...user, via: 'api_key', scopes: [] }, null);
    const access: Access = { kind: 'authenticated' };
    await expect(guard.canActivate(context(access, bearer('ck_good')))).resolves.toBe(true);
    await expect(
      guard.canActivate(context(access, { headers: { 'x-api-key': 'ck_good' } })),
    ).resolves.toBe(true);
  });

  it('refuses an API key without the scopes the route needs', async () => {
    const guard = guardWith({ ...user, via: 'api_key', scopes: ['leads:read'] }, null);
    const ctx = context({ kind: 'authenticated' }, bearer('ck_good'), ['leads:write']);
    await expect(guard.canActivate(ctx)).rejects.toThrow(ForbiddenException);
  });

  it('keeps admin routes to platform admins', async () => {
    await expect(
      guardWith(user, null).canActivate(context({ kind: 'admin' }, bearer('good'))),
    ).rejects.toThrow(ForbiddenException);
    await expect(
      guardWith({ ...user, isAdmin: true }, null).canActivate(
        context({ kind: 'admin' }, bearer('good')),
      ),
    ).resolves.toBe(true);
  });

  describe('tenant routes', () => {
    const tenant = (role: Role): Access => ({ kind: 'tenant', role });
    const request = (entityId: string) => ({ ...bearer('good'), params: { entityId } });

    it('answers 404 to a non-member, never 403', async () => {
      await expect(
        guardWith(user, null).canActivate(context(tenant('member'), request(ENTITY))),
      ).rejects.toThrow(NotFoundException);
    });

    it('answers 403 to a member whose role is too weak', async () => {
      await expect(
        guardWith(user, 'member').canActivate(context(tenant('admin'), request(ENTITY))),
      ).rejects.toThrow(ForbiddenException);
    });

    it('attaches the membership for a strong enough role', async () => {
      const ctx = context(tenant('admin'), request(ENTITY.toUpperCase()));
      await expect(guardWith(user, 'owner').canActivate(ctx)).resolves.toBe(true);
      const live = (ctx as unknown as { live: Record<string, unknown> }).live;
      expect(live.tenant).toEqual({ entityId: ENTITY, userId: 'u1', role: 'owner' });
      expect(live.principal).toEqual(user);
    });

    it('answers 400 to an entity id that is not a UUID', async () => {
      await expect(
        guardWith(user, 'owner').canActivate(context(tenant('member'), request('1 OR 1=1'))),
      ).rejects.toThrow(BadRequestException);
    });
  });
});
