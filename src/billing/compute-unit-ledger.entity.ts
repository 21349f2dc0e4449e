import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryColumnOptions,
} from 'typeorm';
import { NOW_DEFAULT, timestampColumn, uuidColumn } from '../database/column-types';
import { User } from '../users/user.entity';
import { UserSubscription } from './user-subscription.entity';

/**
 * Every consumption (positive delta) or refund (negative delta) of compute units, written in the
 * same statement or transaction as the change of `user_subscriptions.compute_units_used`: the
 * used CU of a period always equals the sum of the subscription's ledger rows created in it.
 * Rows are never updated. `task_id` is the task that was charged (no foreign key: the ledger
 * outlives tasks and belongs to billing).
 */
@Entity('compute_unit_ledger')
@Index('ix_compute_unit_ledger_subscription_created', ['subscriptionId', 'createdAt', 'id'])
@Index('ix_compute_unit_ledger_user_created', ['userId', 'createdAt'])
@Index('ix_compute_unit_ledger_task', ['taskId'])
export class ComputeUnitLedgerEntry {
  @PrimaryColumn(uuidColumn() as PrimaryColumnOptions)
  id: string;

  @Column(uuidColumn())
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_compute_unit_ledger_user' })
  user?: User;

  @Column(uuidColumn())
  subscriptionId: string;

  @ManyToOne(() => UserSubscription, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'subscription_id',
    foreignKeyConstraintName: 'fk_compute_unit_ledger_subscription',
  })
  subscription?: UserSubscription;

  @Column(uuidColumn({ nullable: true }))
  taskId: string | null;

  /** Positive: consumption; negative: refund. */
  @Column({ type: 'integer' })
  delta: number;

  @Column({ type: 'varchar', length: 200 })
  reason: string;

  @Column(timestampColumn({ default: NOW_DEFAULT }))
  createdAt: Date;
}
