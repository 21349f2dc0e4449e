import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { BaseEntity } from '../database/base.entity';
import { timestampColumn, uuidColumn } from '../database/column-types';
import { User } from '../users/user.entity';

/**
 * One refresh token of a sign-in. A sign-in (what users see as a "session", and the `sid` of
 * its access tokens) is a family of rows: the first row's id is the `family_id` of all of them,
 * each refresh spends the current row (`replaced_by` = the next one) and adds the next. Only the
 * SHA-256 of a refresh token is stored. Revoking a session sets `revoked_at` on its whole family.
 */
@Entity('sessions')
@Index('ix_sessions_user_created', ['userId', 'createdAt', 'id'])
@Index('ix_sessions_family', ['familyId'])
@Index('ix_sessions_expires', ['expiresAt'])
export class Session extends BaseEntity {
  @Column(uuidColumn())
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_sessions_user' })
  user?: User;

  @Index('uq_sessions_refresh_token_hash', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  refreshTokenHash: string;

  @Column(uuidColumn())
  familyId: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  userAgent: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column(timestampColumn({ nullable: true }))
  lastUsedAt: Date | null;

  @Column(timestampColumn())
  expiresAt: Date;

  @Column(timestampColumn({ nullable: true }))
  revokedAt: Date | null;

  /** The row that replaced this one at a refresh; set: this refresh token is spent. */
  @Column(uuidColumn({ nullable: true }))
  replacedBy: string | null;
}
