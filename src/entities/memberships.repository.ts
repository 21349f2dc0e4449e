import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { Role } from '../common/auth/access';
import { Clock } from '../common/clock/clock';
import { decodeCursor, Page, toPage } from '../common/pagination/pagination';
import { applyKeyset } from '../database/keyset';
import { QueryOptions, SqlRepository } from '../database/sql-repository';
import { UnitOfWork } from '../database/unit-of-work';
import { Membership } from './membership.entity';
import { VersionCondition } from '../common/http/etag';
import { versionClause } from '../database/versioning';

/**
 * Outcome of a change guarded by the last-owner rule and by the role the caller's permission
 * was decided on (`role_changed`: someone changed it in between; nothing was written).
 */
export type GuardedChange = 'done' | 'missing' | 'last_owner' | 'role_changed' | 'stale';

/**
 * Every query on `user_memberships`; each takes the entity id. Changing or removing a member
 * is one conditional statement that only matches while the member still has the role the
 * permission check saw and, for an owner, while another active owner remains; on
 * PostgreSQL it runs after locking the entity row, so two owners demoting each other at once
 * cannot both succeed (SQLite serialises writes on its single connection).
 */
@Injectable()
export class MembershipsRepository extends SqlRepository {
  constructor(
    @InjectDataSource() dataSource: DataSource,
    clock: Clock,
    private readonly uow: UnitOfWork,
  ) {
    super(dataSource, clock);
  }

  /** A new active membership; a concurrent duplicate trips the unique (user_id, entity_id) index (409). */
  async insertMembership(
    entityId: string,
    userId: string,
    role: Role,
    options?: QueryOptions,
  ): Promise<void> {
    await this.on(options, (manager) =>
      manager
        .createQueryBuilder()
        .insert()
        .into(Membership)
        .values({ ...this.stamp(), entityId, userId, role, isActive: true })
        .execute(),
    );
  }

  /** Role in an active entity through an active membership, or null. */
  async roleOf(userId: string, entityId: string): Promise<Role | null> {
    const row = await this.onPrimary((repo) =>
      repo
        .createQueryBuilder('m')
        .select('m.role', 'role')
        .innerJoin('m.entity', 'e', 'e.is_active = :active')
        .where('m.user_id = :userId AND m.entity_id = :entityId AND m.is_active = :active', {
          userId,
          entityId,
          active: true,
        })
        .getRawOne<{ role: Role }>(),
    );
    return row?.role ?? null;
  }

  /** The user's active memberships in active entities, oldest first. */
  async listOfUser(
    userId: string,
  ): Promise<{ entityId: string; entityName: string; role: Role }[]> {
    const rows = await this.onPrimary((repo) =>
      repo
        .createQueryBuilder('m')
        .select('m.entity_id', 'entityId')
        .addSelect('e.name', 'entityName')
        .addSelect('m.role', 'role')
        .innerJoin('m.entity', 'e', 'e.is_active = :active')
        .where('m.user_id = :userId AND m.is_active = :active', { userId, active: true })
        .orderBy('m.created_at', 'ASC')
        .addOrderBy('m.id', 'ASC')
        .getRawMany<{ entityId: string; entityName: string; role: Role }>(),
    );
    return rows.map((r) => ({ entityId: r.entityId, entityName: r.entityName, role: r.role }));
  }

  findMember(entityId: string, userId: string): Promise<Membership | null> {
    return this.dataSource.getRepository(Membership).findOne({
      where: { entityId, userId, isActive: true },
      relations: { user: true },
    });
  }

  /** Members with their user, newest first. */
  async findMembersPage(
    entityId: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<Membership>> {
    const qb = this.dataSource
      .getRepository(Membership)
      .createQueryBuilder('m')
      .innerJoinAndSelect('m.user', 'u')
      .where('m.entity_id = :entityId AND m.is_active = :active', { entityId, active: true });
    const rows = await applyKeyset(qb, 'm', decodeCursor(query.cursor), query.limit).getMany();
    return toPage(rows, query.limit, (m) => m);
  }

  async userIdsOf(entityId: string): Promise<string[]> {
    const rows = await this.onPrimary((repo) =>
      repo.find({ select: { userId: true }, where: { entityId } }),
    );
    return rows.map((r) => r.userId);
  }

  /** New role, if the member still has `seenRole`; demoting the last active owner matches nothing. */
  changeRole(
    entityId: string,
    userId: string,
    seenRole: Role,
    role: Role,
    expected?: VersionCondition,
  ): Promise<GuardedChange> {
    return this.guarded(
      entityId,
      userId,
      seenRole,
      role === 'owner',
      expected,
      (manager, conditions) =>
        manager
          .createQueryBuilder()
          .update(Membership)
          .set({ role, updatedAt: this.clock.now() })
          .where('entity_id = :entityId AND user_id = :userId AND is_active = :active', {
            entityId,
            userId,
            active: true,
          })
          .andWhere(conditions.sql, conditions.params)
          .execute(),
    );
  }

  /** Removes the membership, if it still has `seenRole`; removing the last active owner matches nothing. */
  remove(
    entityId: string,
    userId: string,
    seenRole: Role,
    expected?: VersionCondition,
  ): Promise<GuardedChange> {
    return this.guarded(entityId, userId, seenRole, false, expected, (manager, conditions) =>
      manager
        .createQueryBuilder()
        .delete()
        .from(Membership)
        .where('entity_id = :entityId AND user_id = :userId', { entityId, userId })
        .andWhere(conditions.sql, conditions.params)
        .execute(),
    );
  }

  /** Reads that decide access or read back a write, and are then cached: never from a lagging replica. */
  private onPrimary<T>(work: (repo: Repository<Membership>) => Promise<T>): Promise<T> {
    return this.on({ primary: true }, (manager) => work(manager.getRepository(Membership)));
  }

  private async guarded(
    entityId: string,
    userId: string,
    seenRole: Role,
    keepsOwner: boolean,
    expected: VersionCondition,
    statement: (
      manager: EntityManager,
      conditions: { sql: string; params: Record<string, unknown> },
    ) => Promise<{ affected?: number | null }>,
  ): Promise<GuardedChange> {
    const unlessLastOwner = keepsOwner
      ? ''
      : " AND (role <> 'owner' OR (SELECT COUNT(*) FROM user_memberships o " +
        'WHERE o.entity_id = :ownerEntityId AND o.role = :ownerRole AND o.is_active = :ownerActive) > 1)';
    // `version` unqualified is the membership's (the last-owner subquery counts alias o).
    const versioned = versionClause(expected);
    const conditions = {
      sql: `role = :seenRole${unlessLastOwner}${versioned.sql}`,
      params: {
        seenRole,
        ownerEntityId: entityId,
        ownerRole: 'owner',
        ownerActive: true,
        ...versioned.params,
      },
    };
    const run = async (manager: EntityManager): Promise<GuardedChange> => {
      const result = await statement(manager, conditions);
      if ((result.affected ?? 0) > 0) return 'done';
      const now = await manager.getRepository(Membership).findOne({
        select: { role: true, version: true },
        where: { entityId, userId, isActive: true },
      });
      if (!now) return 'missing';
      if (expected !== undefined && !expected.includes(now.version)) return 'stale';
      return now.role === seenRole ? 'last_owner' : 'role_changed';
    };
    return this.uow.run(async ({ manager }) => {
      // PostgreSQL: two owners demoting each other at once queue on the entity row (SQLite units are serial).
      if (this.postgres) {
        await manager.query('SELECT id FROM entities WHERE id = $1 FOR UPDATE', [entityId]);
      }
      return run(manager);
    });
  }
}
