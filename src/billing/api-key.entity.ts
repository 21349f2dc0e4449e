import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { Scope } from '../common/auth/access';
import { BaseEntity } from '../database/base.entity';
import { jsonColumn, timestampColumn, uuidColumn } from '../database/column-types';
import { User } from '../users/user.entity';

/**
 * A user's API key. Only the SHA-256 of the full key is stored (`key_hash`, unique); the key is
 * shown once at creation. `prefix` identifies it in lists. `last_used_at` and `usage_count`
 * are written in batches (ApiKeysService buffers them), never once per request.
 */
@Entity('api_keys')
@Index('ix_api_keys_user_created', ['userId', 'createdAt', 'id'])
export class ApiKey extends BaseEntity {
  @Column(uuidColumn())
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_api_keys_user' })
  user?: User;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'varchar', length: 20 })
  prefix: string;

  @Index('uq_api_keys_key_hash', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  keyHash: string;

  @Column(jsonColumn())
  scopes: Scope[];

  @Column(timestampColumn({ nullable: true }))
  expiresAt: Date | null;

  @Column(timestampColumn({ nullable: true }))
  lastUsedAt: Date | null;

  @Column({ type: 'integer', default: 0 })
  usageCount: number;

  @Column(timestampColumn({ nullable: true }))
  revokedAt: Date | null;
}
