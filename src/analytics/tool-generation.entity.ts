import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { BaseEntity } from '../database/base.entity';
import { jsonColumn, uuidColumn } from '../database/column-types';
import { User } from '../users/user.entity';
import type { JobStatus } from './job-status';

/** A generated tool (its type, config, status and result), owned by one user. */
@Entity('tool_generations')
@Index('ix_tool_generations_user_status_type', ['userId', 'status', 'toolType'])
@Index('ix_tool_generations_user_created', ['userId', 'createdAt', 'id'])
export class ToolGeneration extends BaseEntity {
  @Column(uuidColumn())
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_tool_generations_user' })
  user?: User;

  @Column({ type: 'varchar', length: 50 })
  toolType: string;

  @Column({ type: 'varchar', length: 20, default: 'pending' })
  status: JobStatus;

  @Column(jsonColumn())
  config: Record<string, unknown>;

  @Column(jsonColumn({ nullable: true }))
  result: unknown;

  @Column({ type: 'varchar', length: 10000, nullable: true })
  errorMessage: string | null;
}
