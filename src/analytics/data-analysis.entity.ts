import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { VersionedEntity } from '../database/base.entity';
import { jsonColumn, timestampColumn, uuidColumn } from '../database/column-types';
import { OrgEntity } from '../entities/org.entity';
import { User } from '../users/user.entity';
import type { JobStatus } from './job-status';

/** A data analysis a user runs (its parameters, status and result), with uploaded files. */
@Entity('data_analyses')
@Index('ix_data_analyses_user_status_created', ['userId', 'status', 'createdAt'])
@Index('ix_data_analyses_user_created', ['userId', 'createdAt', 'id'])
export class DataAnalysis extends VersionedEntity {
  @Column(uuidColumn())
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_data_analyses_user' })
  user?: User;

  @Column(uuidColumn({ nullable: true }))
  entityId: string | null;

  @ManyToOne(() => OrgEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'entity_id', foreignKeyConstraintName: 'fk_data_analyses_entity' })
  entity?: OrgEntity;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 50 })
  analysisType: string;

  @Column({ type: 'varchar', length: 20, default: 'pending' })
  status: JobStatus;

  @Column(jsonColumn())
  parameters: Record<string, unknown>;

  @Column(jsonColumn({ nullable: true }))
  result: unknown;

  @Column({ type: 'varchar', length: 10000, nullable: true })
  errorMessage: string | null;

  @Column(timestampColumn({ nullable: true }))
  startedAt: Date | null;

  @Column(timestampColumn({ nullable: true }))
  completedAt: Date | null;
}
