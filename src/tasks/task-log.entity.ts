import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryColumnOptions,
} from 'typeorm';
import { jsonColumn, NOW_DEFAULT, timestampColumn, uuidColumn } from '../database/column-types';
import { Task } from './task.entity';

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * One log line of a task, written by its worker (or by the lease sweep). Ids are time-ordered
 * (UUIDv7, monotonic per process) so lines written in one batch keep their order under
 * (created_at, id), the order the log is read in.
 */
@Entity('task_logs')
@Index('ix_task_logs_task_created', ['taskId', 'createdAt', 'id'])
@Index('ix_task_logs_created', ['createdAt']) // cleanup deletes by age across tasks
export class TaskLog {
  @PrimaryColumn(uuidColumn() as PrimaryColumnOptions)
  id: string;

  @Column(uuidColumn())
  taskId: string;

  @ManyToOne(() => Task, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'task_id', foreignKeyConstraintName: 'fk_task_logs_task' })
  task?: Task;

  @Column({ type: 'varchar', length: 10 })
  level: LogLevel;

  @Column({ type: 'varchar', length: 10000 })
  message: string;

  /** ≤ 16 KB (validated). */
  @Column(jsonColumn({ nullable: true }))
  metadata: Record<string, unknown> | null;

  @Column(timestampColumn({ default: NOW_DEFAULT }))
  createdAt: Date;
}
