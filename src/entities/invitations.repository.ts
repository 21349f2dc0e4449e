import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Role } from '../common/auth/access';
import { Clock } from '../common/clock/clock';
import { decodeCursor, Page, toPage } from '../common/pagination/pagination';
import { classifyDatabaseError } from '../database/database-errors';
import { applyKeyset } from '../database/keyset';
import { QueryOptions, SqlRepository } from '../database/sql-repository';
import { Invitation, InvitationStatus } from './invitation.entity';

export interface NewInvitation {
  entityId: string;
  email: string;
  role: Role;
  invitedBy: string;
  expiresAt: Date;
}

/** An invitation as its addressee sees it: with the entity's name. */
export interface ReceivedInvitation {
  invitation: Invitation;
  entityName: string;
}

/**
 * Every query on `entity_invitations`. Entity-side methods take the entity id first; the
 * addressee's side takes the email, and only ever sees pending, unexpired invitations of
 * active entities. Answering one is a conditional UPDATE (`status = 'pending'`), so a
 * double click or two tabs cannot accept it twice.
 */
@Injectable()
export class InvitationsRepository extends SqlRepository {
  constructor(@InjectDataSource() dataSource: DataSource, clock: Clock) {
    super(dataSource, clock);
  }

  /**
   * The pending invitation of this email to this entity, created or refreshed (role, inviter,
   * expiry); the partial unique index keeps one per (entity, email), so a concurrent first
   * invite loses the insert and refreshes the winner's row instead.
   */
  async upsertPending(input: NewInvitation): Promise<Invitation> {
    const refresh = () =>
      this.dataSource
        .createQueryBuilder()
        .update(Invitation)
        .set({
          role: input.role,
          invitedBy: input.invitedBy,
          expiresAt: input.expiresAt,
          updatedAt: this.clock.now(),
        })
        .where('entity_id = :entityId AND email = :email AND status = :pending', {
          entityId: input.entityId,
          email: input.email,
          pending: 'pending',
        })
        .execute();
    if (((await refresh()).affected ?? 0) === 0) {
      try {
        await this.dataSource
          .createQueryBuilder()
          .insert()
          .into(Invitation)
          .values({ ...this.stamp(), ...input, status: 'pending', respondedAt: null })
          .execute();
      } catch (error) {
        if (classifyDatabaseError(error) !== 'unique') throw error;
        await refresh();
      }
    }
    return this.repo().findOneOrFail({
      where: { entityId: input.entityId, email: input.email, status: 'pending' },
    });
  }

  /** Pending invitations of the entity (expired ones too, with their expiry), newest first. */
  async findPendingPage(
    entityId: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<Invitation>> {
    const qb = this.repo()
      .createQueryBuilder('i')
      .where('i.entity_id = :entityId AND i.status = :pending', { entityId, pending: 'pending' });
    const rows = await applyKeyset(qb, 'i', decodeCursor(query.cursor), query.limit).getMany();
    return toPage(rows, query.limit, (i) => i);
  }

  /** Revokes a pending invitation of the entity; false when there is none by that id. */
  async revoke(entityId: string, id: string): Promise<boolean> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(Invitation)
      .set({ status: 'revoked', respondedAt: this.clock.now(), updatedAt: this.clock.now() })
      .where('id = :id AND entity_id = :entityId AND status = :pending', {
        id,
        entityId,
        pending: 'pending',
      })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  findPendingOfEntity(entityId: string, id: string): Promise<Invitation | null> {
    return this.repo().findOne({ where: { id, entityId, status: 'pending' } });
  }

  /** What the addressee may still answer, newest first. */
  async findOpenPageFor(
    email: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<ReceivedInvitation>> {
    const qb = this.openFor(email).addSelect('e.name', 'entityName');
    applyKeyset(qb, 'i', decodeCursor(query.cursor), query.limit);
    const { entities, raw } = await qb.getRawAndEntities<{ entityName: string }>();
    const rows = entities.map((invitation, n) => ({
      invitation,
      entityName: raw[n].entityName,
      id: invitation.id,
      createdAt: invitation.createdAt,
    }));
    return toPage(rows, query.limit, ({ invitation, entityName }) => ({ invitation, entityName }));
  }

  findOpenFor(email: string, id: string): Promise<Invitation | null> {
    return this.openFor(email).andWhere('i.id = :id', { id }).getOne();
  }

  /** Answers a still-pending, unexpired invitation; false when it was answered, revoked or expired meanwhile. */
  async answer(id: string, status: InvitationStatus, options?: QueryOptions): Promise<boolean> {
    const now = this.clock.now();
    const result = await this.on(options, (manager) =>
      manager
        .createQueryBuilder()
        .update(Invitation)
        .set({ status, respondedAt: now, updatedAt: now })
        .where('id = :id AND status = :pending AND expires_at > :now', {
          id,
          pending: 'pending',
          now,
        })
        .execute(),
    );
    return (result.affected ?? 0) > 0;
  }

  private openFor(email: string) {
    return this.repo()
      .createQueryBuilder('i')
      .innerJoin('i.entity', 'e', 'e.is_active = :active', { active: true })
      .where('i.email = :email AND i.status = :pending AND i.expires_at > :now', {
        email,
        pending: 'pending',
        now: this.clock.now(),
      });
  }

  private repo() {
    return this.dataSource.getRepository(Invitation);
  }
}
