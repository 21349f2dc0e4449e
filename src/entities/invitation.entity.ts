import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { Role } from '../common/auth/access';
import { BaseEntity } from '../database/base.entity';
import { timestampColumn, uuidColumn } from '../database/column-types';
import { User } from '../users/user.entity';
import { OrgEntity } from './org.entity';

export const INVITATION_STATUSES = ['pending', 'accepted', 'declined', 'revoked'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

/**
 * An invitation to join an entity, addressed to an email, not to an account: it is made the
 * same way whether or not someone has registered that email (so inviting confirms nothing),
 * and whoever holds the account with that email — now or after registering — sees it and
 * accepts or declines. Membership starts only on acceptance. One pending invitation per
 * (entity, email): inviting again refreshes it.
 */
@Entity('entity_invitations')
@Index('uq_entity_invitations_pending', ['entityId', 'email'], {
  unique: true,
  where: "status = 'pending'",
})
@Index('ix_entity_invitations_email', ['email', 'status'])
export class Invitation extends BaseEntity {
  @Column(uuidColumn())
  entityId: string;

  @ManyToOne(() => OrgEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'entity_id', foreignKeyConstraintName: 'fk_entity_invitations_entity' })
  entity?: OrgEntity;

  /** Lower-cased, as users' emails are. */
  @Column({ type: 'varchar', length: 255 })
  email: string;

  @Column({ type: 'varchar', length: 10 })
  role: Role;

  @Column({ type: 'varchar', length: 10, default: 'pending' })
  status: InvitationStatus;

  /** Who invited (null once that account is deleted). */
  @Column(uuidColumn({ nullable: true }))
  invitedBy: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'invited_by', foreignKeyConstraintName: 'fk_entity_invitations_invited_by' })
  inviter?: User;

  @Column(timestampColumn())
  expiresAt: Date;

  @Column(timestampColumn({ nullable: true }))
  respondedAt: Date | null;
}
