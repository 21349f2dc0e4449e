import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { Role } from '../common/auth/access';
import { Clock } from '../common/clock/clock';
import { decodeCursor, Page, toPage } from '../common/pagination/pagination';
import { BaseRepository } from '../database/base.repository';
import { applyKeyset } from '../database/keyset';
import { onPrimary } from '../database/on-primary';
import { insertAtomically } from './atomic-inserts';
import { Membership } from './membership.entity';
import { OrgEntity } from './org.entity';

export interface EntityWithRole {
  entity: OrgEntity;
  role: Role;
}

/** Every query on `entities`. Inactive (deleted) entities are invisible to all reads but slugTaken. */
@Injectable()
export class EntitiesRepository extends BaseRepository<OrgEntity> {
  constructor(
    @InjectRepository(OrgEntity) repo: Repository<OrgEntity>,
    clock: Clock,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    super(repo, clock);
  }

  /** On the primary: reads back writes (PATCH answers with the new state). */
  findActiveById(id: string): Promise<OrgEntity | null> {
    return onPrimary(this.dataSource, (m) =>
      m.getRepository(OrgEntity).findOne({ where: { id, isActive: true } }),
    );
  }

  /** id and name only, for the public intake form. */
  findActiveName(id: string): Promise<{ id: string; name: string } | null> {
    return this.repo.findOne({ select: { id: true, name: true }, where: { id, isActive: true } });
  }

  /** Deleted entities keep their slug, so a slug never points at two organisations over time. */
  async slugTaken(slug: string, exceptId?: string): Promise<boolean> {
    const row = await onPrimary(this.dataSource, (m) =>
      m.getRepository(OrgEntity).findOne({ select: { id: true }, where: { slug } }),
    );
    return !!row && row.id !== exceptId;
  }

  /** The entity and its creator's owner membership, both or neither. */
  async createWithOwner(
    values: { name: string; slug: string },
    ownerId: string,
  ): Promise<OrgEntity> {
    const now = this.clock.now();
    const entity = this.repo.create({
      id: randomUUID(),
      createdAt: now,
      updatedAt: now,
      ...values,
      isActive: true,
    });
    const membership: Partial<Membership> = {
      id: randomUUID(),
      createdAt: now,
      updatedAt: now,
      userId: ownerId,
      entityId: entity.id,
      role: 'owner',
      isActive: true,
    };
    await insertAtomically(this.dataSource, [
      this.dataSource.createQueryBuilder().insert().into(OrgEntity).values(entity),
      this.dataSource.createQueryBuilder().insert().into(Membership).values(membership),
    ]);
    return entity;
  }

  /** The caller's active entities with their role, newest first. */
  async findPageOfMember(
    userId: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<EntityWithRole>> {
    const qb = this.repo
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

  /** Soft delete; false when already gone. */
  deactivate(id: string): Promise<boolean> {
    return this.update(id, { isActive: false }, { isActive: true });
  }
}
