import { Column, Entity, JoinColumn, ManyToOne, Unique } from 'typeorm';
import { BaseEntity } from '../database/base.entity';
import { uuidColumn } from '../database/column-types';
import { User } from '../users/user.entity';

/**
 * What one user consumed on one UTC day. Written only by atomic upserts
 * (`INSERT … ON CONFLICT (user_id, date) DO UPDATE SET x = usage_analytics.x + excluded.x`),
 * never read-modify-write, so any number of instances may add to the same row.
 */
@Entity('usage_analytics')
@Unique('uq_usage_analytics_user_date', ['userId', 'date'])
export class UsageAnalytics extends BaseEntity {
  @Column(uuidColumn())
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_usage_analytics_user' })
  user?: User;

  /** The UTC day, `YYYY-MM-DD`. */
  @Column({ type: 'date' })
  date: string;

  @Column({ type: 'integer', default: 0 })
  tasksCreated: number;

  @Column({ type: 'integer', default: 0 })
  tasksCompleted: number;

  @Column({ type: 'integer', default: 0 })
  tasksFailed: number;

  @Column({ type: 'integer', default: 0 })
  computeUnitsConsumed: number;

  @Column({ type: 'integer', default: 0 })
  apiCalls: number;
}
