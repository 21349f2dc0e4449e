import { Column, Entity, Index } from 'typeorm';
import { VersionedEntity } from '../database/base.entity';
import { timestampColumn } from '../database/column-types';

@Entity('users')
export class User extends VersionedEntity {
  /** Stored lower-cased. */
  @Index('uq_users_email', { unique: true })
  @Column({ type: 'varchar', length: 255 })
  email: string;

  @Index('uq_users_username', { unique: true })
  @Column({ type: 'varchar', length: 50, nullable: true })
  username: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  firstName: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  lastName: string | null;

  /** scrypt hash with its parameters; null for SSO-only users. */
  @Column({ type: 'varchar', length: 255, nullable: true, select: false })
  passwordHash: string | null;

  @Index('uq_users_workos_user_id', { unique: true })
  @Column({ type: 'varchar', length: 255, nullable: true })
  workosUserId: string | null;

  @Index('uq_users_google_id', { unique: true })
  @Column({ type: 'varchar', length: 255, nullable: true })
  googleId: string | null;

  @Column({ type: 'boolean', default: true })
  isActive: boolean;

  @Column({ type: 'boolean', default: false })
  isAdmin: boolean;

  @Column(timestampColumn({ nullable: true }))
  lastLoginAt: Date | null;
}
