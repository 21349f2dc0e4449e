import { Column, Entity, Index, JoinColumn, ManyToOne, Unique } from 'typeorm';
import { VersionedEntity } from '../database/base.entity';
import { timestampColumn, uuidColumn } from '../database/column-types';
import { OrgEntity } from '../entities/org.entity';

export const LEAD_STATUSES = ['PENDING', 'REACHED_OUT'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

/**
 * A prospect who left contact details (and usually a resume) with an entity.
 *
 * Indexes: (entity_id, created_at, id) and (entity_id, status, created_at, id) serve the
 * newest-first keyset lists (a B-tree scanned backwards is the `created_at desc, id desc`
 * order). The unique (entity_id, email) constraint makes duplicate submissions a 409 even
 * when they race. On PostgreSQL the migration also creates pg_trgm GIN indexes for the
 * substring search; they are declared here with `synchronize: false` so TypeORM neither
 * creates nor drops them (they are expression/operator-class indexes it cannot describe).
 */
@Entity('leads')
@Unique('uq_leads_entity_email', ['entityId', 'email'])
@Index('ix_leads_entity_created', ['entityId', 'createdAt', 'id'])
@Index('ix_leads_entity_status_created', ['entityId', 'status', 'createdAt', 'id'])
@Index('ix_leads_first_name_trgm', { synchronize: false })
@Index('ix_leads_last_name_trgm', { synchronize: false })
@Index('ix_leads_email_trgm', { synchronize: false })
export class Lead extends VersionedEntity {
  @Column(uuidColumn())
  entityId: string;

  @ManyToOne(() => OrgEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'entity_id', foreignKeyConstraintName: 'fk_leads_entity' })
  entity?: OrgEntity;

  @Column({ type: 'varchar', length: 100 })
  firstName: string;

  @Column({ type: 'varchar', length: 100 })
  lastName: string;

  /** Stored lower-cased. */
  @Column({ type: 'varchar', length: 255 })
  email: string;

  /** Storage key (never a client-supplied path); null until a resume is attached. */
  @Column({ type: 'varchar', length: 500, nullable: true })
  resumePath: string | null;

  /** Content type decided from the file's magic bytes, not from the client. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  resumeContentType: string | null;

  @Column({ type: 'integer', nullable: true })
  resumeSize: number | null;

  /** The client's file name, sanitised; metadata only (download name), never a path. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  resumeFileName: string | null;

  @Column({ type: 'varchar', length: 20, default: 'PENDING' })
  status: LeadStatus;

  @Column(timestampColumn({ nullable: true }))
  reachedOutAt: Date | null;

  @Column({ type: 'varchar', length: 5000, nullable: true })
  notes: string | null;
}
