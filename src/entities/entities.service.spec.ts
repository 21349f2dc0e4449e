import { ConflictException, ForbiddenException, NotFoundException } from '@nestjs/common';
import { Role, TenantContext } from '../common/auth/access';
import { CacheService } from '../cache/cache.service';
import { IdentityCache } from '../users/identity-cache';
import { UsersService } from '../users/users.service';
import { canManageMember, EntitiesService, slugify } from './entities.service';
import { EntitiesRepository } from './entities.repository';
import { Membership } from './membership.entity';
import { GuardedChange, MembershipsRepository } from './memberships.repository';

describe('canManageMember (who may set or remove a role)', () => {
  it.each<[Role, Role, Role | null, boolean]>([
    ['member', 'member', 'admin', false],
    ['member', 'member', null, false],
    ['admin', 'member', 'admin', true],
    ['admin', 'admin', 'member', true],
    ['admin', 'member', null, true],
    ['admin', 'member', 'owner', false],
    ['admin', 'owner', 'member', false],
    ['admin', 'owner', null, false],
    ['owner', 'member', 'owner', true],
    ['owner', 'owner', 'admin', true],
    ['owner', 'owner', null, true],
  ])('%s acting on a %s → %s: %s', (actor, target, next, allowed) => {
    expect(canManageMember(actor, target, next)).toBe(allowed);
  });
});

describe('slugify', () => {
  it.each([
    ['Acme Café GmbH', 'acme-cafe-gmbh'],
    ['  --Hello,   World!--  ', 'hello-world'],
    ['!!!', 'entity'],
    ['Ünïcödé 中文 name', 'unicode-name'],
    ['x'.repeat(200), 'x'.repeat(80)],
  ])('%s → %s', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });
});

describe('EntitiesService member rules (repositories stubbed)', () => {
  const entityId = '11111111-1111-4111-8111-111111111111';
  const tenant = (role: Role, userId = 'actor'): TenantContext => ({ entityId, userId, role });
  const membership = (userId: string, role: Role) =>
    ({
      userId,
      entityId,
      role,
      isActive: true,
      createdAt: new Date(),
      user: { email: `${userId}@x.test` },
    }) as Membership;

  let members: Map<string, Membership>;
  let nextOutcome: GuardedChange;
  let service: EntitiesService;
  let deleted: string[];

  beforeEach(() => {
    members = new Map([
      ['owner', membership('owner', 'owner')],
      ['admin', membership('admin', 'admin')],
      ['member', membership('member', 'member')],
    ]);
    nextOutcome = 'done';
    deleted = [];
    const memberships = {
      findMember: async (_: string, userId: string) => members.get(userId) ?? null,
      changeRole: async () => nextOutcome,
      remove: async () => nextOutcome,
      create: async (values: Partial<Membership>) => values,
    } as unknown as MembershipsRepository;
    const users = {
      findByEmail: async (email: string) =>
        email === 'new@x.test' ? { id: 'new', isActive: true } : null,
      findView: async () => null,
    } as unknown as UsersService;
    const cache = { del: async (key: string) => void deleted.push(key) } as unknown as CacheService;
    service = new EntitiesService(
      {} as EntitiesRepository,
      memberships,
      users,
      cache,
      new IdentityCache(cache),
    );
  });

  it('answers 409 when the repository reports the last owner', async () => {
    nextOutcome = 'last_owner';
    await expect(
      service.changeRole(tenant('owner', 'owner'), 'owner', 'admin'),
    ).rejects.toBeInstanceOf(ConflictException);
    await expect(service.removeMember(tenant('owner', 'owner'), 'owner')).rejects.toBeInstanceOf(
      ConflictException,
    );
  });

  it('answers 409 when the role the check saw changed before the write', async () => {
    nextOutcome = 'role_changed';
    await expect(service.removeMember(tenant('admin'), 'member')).rejects.toThrow(/role changed/);
    await expect(service.changeRole(tenant('admin'), 'member', 'admin')).rejects.toThrow(
      /role changed/,
    );
  });

  it('forbids an admin to touch an owner or grant owner', async () => {
    await expect(service.changeRole(tenant('admin'), 'owner', 'member')).rejects.toBeInstanceOf(
      ForbiddenException,
    );
    await expect(service.changeRole(tenant('admin'), 'member', 'owner')).rejects.toBeInstanceOf(
      ForbiddenException,
    );
    await expect(service.removeMember(tenant('admin'), 'owner')).rejects.toBeInstanceOf(
      ForbiddenException,
    );
  });

  it('lets a member leave but not remove others', async () => {
    await expect(
      service.removeMember(tenant('member', 'member'), 'member'),
    ).resolves.toBeUndefined();
    await expect(service.removeMember(tenant('member', 'member'), 'admin')).rejects.toBeInstanceOf(
      ForbiddenException,
    );
  });

  it('drops the role and the /me cache of the changed user', async () => {
    await service.removeMember(tenant('admin', 'admin'), 'member');
    expect(deleted.sort()).toEqual([`membership:member:${entityId}`, 'membership:member:entities']);
  });

  it('answers 404 for a missing member', async () => {
    await expect(service.changeRole(tenant('owner'), 'ghost', 'admin')).rejects.toBeInstanceOf(
      NotFoundException,
    );
    await expect(service.removeMember(tenant('owner'), 'ghost')).rejects.toBeInstanceOf(
      NotFoundException,
    );
  });
});
