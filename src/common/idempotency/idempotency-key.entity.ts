import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { timestampColumn } from '../../database/column-types';

/**
 * One Idempotency-Key of one caller (README, "Idempotency"). The primary key (scope, key_hash)
 * is what decides, atomically and across instances, which request runs: the first INSERT wins.
 * Only a hash of the client's key is kept, and the stored response is encrypted with a key
 * derived from it, so a copy of this table alone reveals no response (API keys and tokens are
 * shown once).
 */
@Entity('idempotency_keys')
@Index('ix_idempotency_keys_expires', ['expiresAt'])
export class IdempotencyKey {
  /** Who used the key: `user:<id>`, or `anon:<client address>` on public routes. */
  @PrimaryColumn({ type: 'varchar', length: 120 })
  scope: string;

  /** SHA-256 (hex) of the Idempotency-Key header. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  keyHash: string;

  /** SHA-256 (hex) of method, path and body: the same key with another request is a 422. */
  @Column({ type: 'varchar', length: 64 })
  fingerprint: string;

  @Column({ type: 'varchar', length: 16 })
  status: 'in_flight' | 'completed';

  @Column({ type: 'integer', nullable: true })
  responseStatus: number | null;

  /** The stored response (headers and body) as AES-256-GCM ciphertext, base64. */
  @Column({ type: 'text', nullable: true })
  response: string | null;

  @Column(timestampColumn())
  createdAt: Date;

  @Column(timestampColumn())
  expiresAt: Date;
}
