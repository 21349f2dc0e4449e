import { randomBytes } from 'node:crypto';
import {
  ConflictException,
  ForbiddenException,
  Injectable,
  Logger,
  NotFoundException,
  Optional,
} from '@nestjs/common';
import { Role, roleAtLeast, TenantContext } from '../common/auth/access';
import { MembershipResolver } from '../common/auth/access-ports';
import {
  assertVersion,
  StaleVersion,
  throwStaleOrMissing,
  VersionCondition,
} from '../common/http/etag';
import { CursorPageQueryDto, Page } from '../common/pagination/pagination';
import { CacheKeys } from '../cache/cache-keys';
import { CacheService } from '../cache/cache.service';
import { SystemEventLog } from '../common/observability/system-event-log';
import { classifyDatabaseError } from '../database/database-errors';
import { IdentityCache } from '../users/identity-cache';
import { UsersService } from '../users/users.service';
import { AdminAddMemberDto } from './dto/invite-member.dto';
import { EntityResponse, MemberResponse } from './dto/entity.response';
import { UpdateEntityDto } from './dto/update-entity.dto';
import { EntitiesRepository } from './entities.repository';
import { Membership } from './membership.entity';
import { GuardedChange, MembershipsRepository } from './memberships.repository';
import { OrgEntity } from './org.entity';
import { isUuid } from '../common/uuid';

/** What a module that keeps data under an entity purges when the entity is deleted. */
export type EntityRemovalHook = (entityId: string) => Promise<unknown>;

const DELETED_PAGE = 500;

export interface MembershipSummary {
  entityId: string;
  entityName: string;
  role: Role;
}

/** "Acme Café GmbH" → "acme-cafe-gmbh"; never empty. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/g, '');
  return slug || 'entity';
}

/** Who may give `target` the role `next` (or remove them when `next` is null), acting as `actor`. */
export function canManageMember(actor: Role, target: Role, next: Role | null): boolean {
  if (!roleAtLeast(actor, 'admin')) return false;
  if (target === 'owner' || next === 'owner') return actor === 'owner';
  return true;
}

function toEntityResponse(entity: OrgEntity, role: Role): EntityResponse {
  return {
    id: entity.id,
    name: entity.name,
    slug: entity.slug,
    role,
    version: entity.version,
    createdAt: new Date(entity.createdAt).toISOString(),
    updatedAt: new Date(entity.updatedAt).toISOString(),
  };
}

function toMemberResponse(m: Membership): MemberResponse {
  return {
    userId: m.userId,
    email: m.user!.email,
    username: m.user!.username ?? null,
    firstName: m.user!.firstName ?? null,
    lastName: m.user!.lastName ?? null,
    role: m.role,
    version: m.version,
    joinedAt: new Date(m.createdAt).toISOString(),
  };
}

/**
 * Organisations and memberships, and the tenancy port of the access guard (roleOf).
 * Cache: `membership:{userId}:{entityId}` holds a role, `membership:{userId}:entities` the
 * user's list for /auth/me; every membership change drops both for that user, and entity
 * changes (rename, delete) drop them for every member.
 */
@Injectable()
export class EntitiesService implements MembershipResolver {
  private readonly log = new Logger(EntitiesService.name);
  private readonly removalHooks: EntityRemovalHook[] = [];

  constructor(
    private readonly entities: EntitiesRepository,
    private readonly memberships: MembershipsRepository,
    private readonly users: UsersService,
    private readonly cache: CacheService,
    private readonly identityCache: IdentityCache,
    @Optional() private readonly events?: SystemEventLog,
  ) {}

  // ── tenancy port ──────────────────────────────────────────────────────────

  roleOf(userId: string, entityId: string): Promise<Role | null> {
    return this.cache.wrap(CacheKeys.membership(userId, entityId), () =>
      this.memberships.roleOf(userId, entityId),
    );
  }

  /** The user's memberships in active entities (GET /auth/me), cached. */
  membershipsOf(userId: string): Promise<MembershipSummary[]> {
    return this.cache.wrap(listKey(userId), () => this.memberships.listOfUser(userId));
  }

  /** For other modules (public lead intake): an active entity's id and name, or null. */
  async findActive(entityId: string): Promise<{ id: string; name: string } | null> {
    if (!isUuid(entityId)) return null;
    const row = await this.entities.findActiveName(entityId.toLowerCase());
    return row ? { id: row.id, name: row.name } : null;
  }

  // ── entities ──────────────────────────────────────────────────────────────

  /** Creates the entity with the caller as its owner (both or neither); the slug is derived and made unique. */
  async create(userId: string, name: string): Promise<EntityResponse> {
    const base = slugify(name);
    let slug = (await this.entities.slugTaken(base)) ? withSuffix(base) : base;
    for (let attempt = 1; ; attempt++) {
      try {
        const entity = await this.entities.createWithOwner({ name, slug }, userId);
        await this.forgetMembership(userId, entity.id);
        return toEntityResponse(entity, 'owner');
      } catch (error) {
        // Someone took the slug between the check and the insert: try another suffix.
        if (classifyDatabaseError(error) !== 'unique' || attempt >= 5) throw error;
        slug = withSuffix(base);
      }
    }
  }

  listMine(userId: string, query: CursorPageQueryDto): Promise<Page<EntityResponse>> {
    return this.entities.findPageOfMember(userId, query).then((page) => ({
      ...page,
      items: page.items.map(({ entity, role }) => toEntityResponse(entity, role)),
    }));
  }

  async get(tenant: TenantContext): Promise<EntityResponse> {
    const entity = await this.entities.findActiveById(tenant.entityId);
    if (!entity) throw new NotFoundException('Entity not found');
    return toEntityResponse(entity, tenant.role);
  }

  /** Name and slug; with an If-Match condition only onto a version it names (else StaleVersion → 412). */
  async update(
    tenant: TenantContext,
    dto: UpdateEntityDto,
    expected?: VersionCondition,
  ): Promise<EntityResponse> {
    const changes: Partial<OrgEntity> = {};
    if (dto.name !== undefined) changes.name = dto.name;
    if (dto.slug !== undefined) {
      if (await this.entities.slugTaken(dto.slug, tenant.entityId))
        throw new ConflictException('This slug is already taken');
      changes.slug = dto.slug;
    }
    if (Object.keys(changes).length > 0) {
      const found = await this.entities.updateActive(tenant.entityId, changes, expected);
      if (!found) await this.throwWhyUnchanged(tenant, expected);
      if (changes.name !== undefined) await this.forgetEntity(tenant.entityId);
      return this.get(tenant);
    }
    const current = await this.get(tenant);
    assertVersion(expected, current.version, () => current);
    return current;
  }

  /** After a conditional write matched nothing: 404 when the entity is gone, else 412. */
  private async throwWhyUnchanged(
    tenant: TenantContext,
    expected: VersionCondition,
  ): Promise<never> {
    const now = await this.entities.findActiveById(tenant.entityId);
    throwStaleOrMissing(
      now && toEntityResponse(now, tenant.role),
      expected,
      () => new NotFoundException('Entity not found'),
    );
  }

  /**
   * Soft delete (owner): the entity and everything under it answer 404 from now on; the
   * removal hooks then purge what must not outlive it (resumes). A failing hook is logged,
   * not thrown: the entity is gone, and the cleanup sweep (`forEachDeletedEntity`) retries.
   */
  async remove(tenant: TenantContext, expected?: VersionCondition): Promise<void> {
    const found = await this.entities.deactivate(tenant.entityId, expected);
    if (!found) await this.throwWhyUnchanged(tenant, expected);
    await this.forgetEntity(tenant.entityId);
    for (const hook of this.removalHooks) {
      await hook(tenant.entityId).catch((error: Error) =>
        this.log.warn(`purge after deleting entity ${tenant.entityId} failed: ${error.message}`),
      );
    }
  }

  /**
   * Registers what to purge when an entity is deleted. Modules under entities (leads) depend
   * on this module, not the reverse, so they register themselves at start-up.
   */
  onEntityRemoved(hook: EntityRemovalHook): void {
    this.removalHooks.push(hook);
  }

  /** Calls `visit` with the id of every soft-deleted entity, a page at a time (cleanup sweeps). */
  async forEachDeletedEntity(visit: (entityId: string) => Promise<void>): Promise<void> {
    let after: string | null = null;
    for (;;) {
      const ids = await this.entities.findDeletedIds(after, DELETED_PAGE);
      for (const id of ids) await visit(id);
      if (ids.length < DELETED_PAGE) return;
      after = ids[ids.length - 1];
    }
  }

  // ── members ───────────────────────────────────────────────────────────────

  async listMembers(
    tenant: TenantContext,
    query: CursorPageQueryDto,
  ): Promise<Page<MemberResponse>> {
    const page = await this.memberships.findMembersPage(tenant.entityId, query);
    return { ...page, items: page.items.map(toMemberResponse) };
  }

  /**
   * Platform admins only (the admin route): adds an account directly, without an invitation,
   * e.g. to recover an organisation that lost its owners. Everyone else invites (InvitationsService).
   */
  async addByAdmin(
    entityId: string,
    dto: AdminAddMemberDto,
    adminId: string,
  ): Promise<MemberResponse> {
    if (!(await this.entities.findActiveById(entityId)))
      throw new NotFoundException('Entity not found');
    const user = await this.users.findView(dto.userId.toLowerCase());
    if (!user || !user.isActive) throw new NotFoundException('User not found');
    if (await this.memberships.findMember(entityId, user.id)) {
      throw new ConflictException('This user is already a member');
    }
    // A concurrent duplicate trips the unique (user_id, entity_id) index: 409 as well.
    await this.memberships.insertMembership(entityId, user.id, dto.role);
    await this.forgetMembership(user.id, entityId);
    this.memberEvent({ entityId, userId: adminId }, 'member added', {
      memberId: user.id,
      role: dto.role,
      byPlatformAdmin: true,
    });
    return this.getMember(entityId, user.id);
  }

  async changeRole(
    tenant: TenantContext,
    userId: string,
    role: Role,
    expected?: VersionCondition,
  ): Promise<MemberResponse> {
    const target = await this.memberships.findMember(tenant.entityId, userId);
    if (!target) throw new NotFoundException('Member not found');
    if (!canManageMember(tenant.role, target.role, role)) {
      throw new ForbiddenException('Only an owner may grant the owner role or change an owner');
    }
    assertVersion(expected, target.version, () => toMemberResponse(target));
    if (target.role !== role) {
      const outcome = await this.memberships.changeRole(
        tenant.entityId,
        userId,
        target.role,
        role,
        expected,
      );
      await this.forgetMembership(userId, tenant.entityId);
      await this.raiseFor(outcome, 'demote', tenant.entityId, userId);
      this.memberEvent(tenant, 'member role changed', {
        memberId: userId,
        from: target.role,
        to: role,
      });
    }
    return this.getMember(tenant.entityId, userId);
  }

  /** Admin+ removes others (owners only by an owner); anyone may leave. */
  async removeMember(
    tenant: TenantContext,
    userId: string,
    expected?: VersionCondition,
  ): Promise<void> {
    const target = await this.memberships.findMember(tenant.entityId, userId);
    if (!target) throw new NotFoundException('Member not found');
    if (userId !== tenant.userId && !canManageMember(tenant.role, target.role, null)) {
      throw new ForbiddenException(
        target.role === 'owner'
          ? 'Only an owner may remove an owner'
          : 'Removing members needs the admin role',
      );
    }
    assertVersion(expected, target.version, () => toMemberResponse(target));
    const outcome = await this.memberships.remove(tenant.entityId, userId, target.role, expected);
    await this.forgetMembership(userId, tenant.entityId);
    await this.raiseFor(outcome, 'remove', tenant.entityId, userId);
    this.memberEvent(tenant, userId === tenant.userId ? 'member left' : 'member removed', {
      memberId: userId,
      role: target.role,
    });
  }

  /** Membership changes go to the system event log (who did what to whom, in which entity). */
  private memberEvent(
    tenant: Pick<TenantContext, 'entityId' | 'userId'>,
    message: string,
    details: Record<string, unknown>,
  ) {
    this.events?.log({
      service: 'entities',
      level: 'INFO',
      message,
      details: { entityId: tenant.entityId, ...details },
      userId: tenant.userId,
    });
  }

  /** One member (GET …/members/{userId}; the guard has checked the caller is a member). */
  async getMember(entityId: string, userId: string): Promise<MemberResponse> {
    const member = await this.memberships.findMember(entityId, userId);
    if (!member) throw new NotFoundException('Member not found');
    return toMemberResponse(member);
  }

  private async raiseFor(
    outcome: GuardedChange,
    action: 'demote' | 'remove',
    entityId: string,
    userId: string,
  ): Promise<void> {
    if (outcome === 'missing') throw new NotFoundException('Member not found');
    if (outcome === 'stale') {
      const now = await this.memberships.findMember(entityId, userId);
      if (!now) throw new NotFoundException('Member not found');
      throw new StaleVersion(now.version, toMemberResponse(now));
    }
    if (outcome === 'role_changed') {
      throw new ConflictException("The member's role changed meanwhile; read it again and retry");
    }
    if (outcome === 'last_owner') {
      throw new ConflictException(
        `The last owner cannot be ${action === 'demote' ? 'demoted' : 'removed'}; make someone else an owner first`,
      );
    }
  }

  /** Drops the cached role and membership list of the user (after any membership change). */
  async forgetMembership(userId: string, entityId: string): Promise<void> {
    await this.identityCache.drop(CacheKeys.membership(userId, entityId), listKey(userId));
  }

  private async forgetEntity(entityId: string): Promise<void> {
    const userIds = await this.memberships.userIdsOf(entityId);
    await Promise.all(userIds.map((userId) => this.forgetMembership(userId, entityId)));
  }
}

const listKey = (userId: string) => `${CacheKeys.membershipsOfUser(userId)}entities`;
const withSuffix = (base: string) => `${base}-${randomBytes(3).toString('hex')}`;
