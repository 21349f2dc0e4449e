import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Role } from '../common/auth/access';
import { Clock } from '../common/clock/clock';
import { decodeCursor, Page, toPage } from '../common/pagination/pagination';
import { applyKeyset } from '../database/keyset';
import { SqlRepository } from '../database/sql-repository';
import { whereVersion } from '../database/versioning';
import { VersionCondition } from '../common/http/etag';
import { UnitOfWork } from '../database/unit-of-work';
import { Membership } from './membership.entity';
import { OrgEntity } from './org.entity';

export interface EntityWithRole {
  entity: OrgEntity;
  role: Role;
}

/** Every query on `entities`. Inactive (deleted) entities are invisible to all reads but slugTaken. */
@Injectable()
export class EntitiesRepository extends SqlRepository {
  constructor(
    @InjectDataSource() dataSource: DataSource,
    clock: Clock,
    private readonly uow: UnitOfWork,
  ) {
    super(dataSource, clock);
  }

  /** On the primary: reads back writes (PATCH answers with the new state). */
  findActiveById(id: string): Promise<OrgEntity | null> {
    return this.on({ primary: true }, (m) =>
      m.getRepository(OrgEntity).findOne({ where: { id, isActive: true } }),
    );
  }

  /** id and name only, for the public intake form. */
  findActiveName(id: string): Promise<{ id: string; name: string } | null> {
    return this.dataSource
      .getRepository(OrgEntity)
      .findOne({ select: { id: true, name: true }, where: { id, isActive: true } });
  }

  /** Deleted entities keep their slug, so a slug never points at two organisations over time. */
  async slugTaken(slug: string, exceptId?: string): Promise<boolean> {
    const row = await this.on({ primary: true }, (m) =>
      m.getRepository(OrgEntity).findOne({ select: { id: true }, where: { slug } }),
    );
    return !!row && row.id !== exceptId;
  }

  /** The entity and its creator's owner membership, both or neither. */
  async createWithOwner(
    values: { name: string; slug: string },
    ownerId: string,
  ): Promise<OrgEntity> {
    const entity = this.dataSource
      .getRepository(OrgEntity)
      .create({ ...this.stamp(), ...values, isActive: true });
    const membership: Partial<Membership> = {
      ...this.stamp(),
      userId: ownerId,
      entityId: entity.id,
      role: 'owner',
      isActive: true,
    };
    await this.uow.run(async ({ manager }) => {
      await manager.createQueryBuilder().insert().into(OrgEntity).values(entity).execute();
      await manager.createQueryBuilder().insert().into(Membership).values(membership).execute();
    });
    return entity;
  }

  /** The caller's active entities with their role, newest first. */
  async findPageOfMember(
    userId: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<EntityWithRole>> {
    const qb = this.dataSource
      .getRepository(OrgEntity)
      .createQueryBuilder('e')
      .innerJoin(
        Membership,
        'm',
        'm.entity_id = e.id AND m.user_id = :userId AND m.is_active = :active',
        {
          userId,
          active: true,
        },
      )
      .addSelect('m.role', 'member_role')
      .where('e.is_active = :active', { active: true });
    const { entities, raw } = await applyKeyset(
      qb,
      'e',
      decodeCursor(query.cursor),
      query.limit,
    ).getRawAndEntities();
    const roles = new Map<string, Role>(
      (raw as { e_id: string; member_role: Role }[]).map((r) => [r.e_id, r.member_role]),
    );
    return toPage(entities, query.limit, (entity) => ({ entity, role: roles.get(entity.id)! }));
  }

  /** Name or slug of an active entity (at an `expected` version, if given); false when nothing matched. */
  updateActive(
    id: string,
    changes: Partial<Pick<OrgEntity, 'name' | 'slug'>>,
    expected?: VersionCondition,
  ): Promise<boolean> {
    return this.updateWhereActive(id, changes, expected);
  }

  /** Soft delete (at an `expected` version, if given); false when nothing matched. */
  deactivate(id: string, expected?: VersionCondition): Promise<boolean> {
    return this.updateWhereActive(id, { isActive: false }, expected);
  }

  /** Ids of soft-deleted entities, in id order after `afterId` (a page of `limit`). */
  async findDeletedIds(afterId: string | null, limit: number): Promise<string[]> {
    const qb = this.dataSource
      .getRepository(OrgEntity)
      .createQueryBuilder('e')
      .select('e.id', 'id')
      .where('e.is_active = :active', { active: false })
      .orderBy('e.id', 'ASC')
      .limit(limit);
    if (afterId) qb.andWhere('e.id > :afterId', { afterId });
    const rows = await qb.getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** One conditional UPDATE; it bumps `version` (VersionedEntity). */
  private async updateWhereActive(
    id: string,
    changes: Partial<OrgEntity>,
    expected: VersionCondition,
  ): Promise<boolean> {
    const qb = this.dataSource
      .createQueryBuilder()
      .update(OrgEntity)
      .set({ ...changes, updatedAt: this.clock.now() })
      .where('id = :id AND is_active = :active', { id, active: true });
    const result = await whereVersion(qb, expected).execute();
    return (result.affected ?? 0) > 0;
  }
}
