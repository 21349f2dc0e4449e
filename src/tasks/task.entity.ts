import { Check, Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { VersionedEntity } from '../database/base.entity';
import { jsonColumn, timestampColumn, uuidColumn } from '../database/column-types';
import { OrgEntity } from '../entities/org.entity';
import { User } from '../users/user.entity';

export const TASK_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/**
 * A scraping task: a JSON config that workers claim, run and report on. Status changes only
 * through TaskStateMachine (tasks.state-machine.ts), each as one conditional statement or
 * inside a unit of work with the row locked.
 *
 * Indexes: the claim walks `ix_tasks_claim` (pending only, priority desc, oldest first) or,
 * for a self-hosted worker, `ix_tasks_claim_user`; both are partial and hand-written in the
 * migrations (TypeORM cannot declare DESC columns), hence `synchronize: false` here. The
 * user's lists walk (user_id[, status], created_at, id); the lease sweep the partial index
 * of running tasks by lease expiry.
 */
@Entity('tasks')
@Check('ck_tasks_priority', '"priority" BETWEEN -100 AND 100')
@Check('ck_tasks_max_attempts', '"max_attempts" BETWEEN 1 AND 10')
@Index('ix_tasks_claim', { synchronize: false })
@Index('ix_tasks_claim_user', { synchronize: false })
@Index('ix_tasks_user_created', ['userId', 'createdAt', 'id'])
@Index('ix_tasks_user_status_created', ['userId', 'status', 'createdAt', 'id'])
@Index('ix_tasks_entity_created', ['entityId', 'createdAt', 'id'])
@Index('ix_tasks_running_lease', ['leaseExpiresAt'], { where: `"status" = 'running'` })
export class Task extends VersionedEntity {
  @Column(uuidColumn())
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_tasks_user' })
  user?: User;

  /** The organisation the task belongs to, or null for a personal task. */
  @Column(uuidColumn({ nullable: true }))
  entityId: string | null;

  @ManyToOne(() => OrgEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'entity_id', foreignKeyConstraintName: 'fk_tasks_entity' })
  entity?: OrgEntity;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** jsonb on PostgreSQL, JSON text on SQLite; ≤ 64 KB (validated). */
  @Column(jsonColumn())
  config: Record<string, unknown>;

  @Column({ type: 'integer', default: 1 })
  configVersion: number;

  @Column({ type: 'varchar', length: 20, default: 'pending' })
  status: TaskStatus;

  @Column({ type: 'integer', default: 0 })
  priority: number;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ type: 'integer', default: 3 })
  maxAttempts: number;

  /** The worker id holding the lease while running. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  claimedBy: string | null;

  @Column(timestampColumn({ nullable: true }))
  leaseExpiresAt: Date | null;

  /** Lease length asked for at the claim; a heartbeat extends by this much unless told otherwise. */
  @Column({ type: 'integer', nullable: true })
  leaseSeconds: number | null;

  @Column(timestampColumn({ nullable: true }))
  startedAt: Date | null;

  @Column(timestampColumn({ nullable: true }))
  completedAt: Date | null;

  @Column({ type: 'varchar', length: 10000, nullable: true })
  errorMessage: string | null;

  /** ≤ 1 MB (validated). */
  @Column(jsonColumn({ nullable: true }))
  result: unknown;

  @Column({ type: 'integer', default: 0 })
  computeUnitsConsumed: number;
}
