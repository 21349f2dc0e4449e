import { Check, Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { BaseEntity } from '../database/base.entity';
import { timestampColumn, uuidColumn } from '../database/column-types';
import { User } from '../users/user.entity';
import { SubscriptionPlan } from './subscription-plan.entity';

export const SUBSCRIPTION_STATUSES = ['active', 'cancelled', 'past_due', 'expired'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/**
 * A user's subscription to a plan for a billing period. At most one `active` row per user: a
 * partial unique index on both databases, so two concurrent "create on first use" inserts
 * cannot both succeed. `compute_units_used` is only ever changed by conditional UPDATEs that
 * also write a ledger row (BillingRepository), and can never go below zero (CHECK).
 */
@Entity('user_subscriptions')
@Check('ck_user_subscriptions_used', '"compute_units_used" >= 0')
@Index('uq_user_subscriptions_active_user', ['userId'], {
  unique: true,
  where: `"status" = 'active'`,
})
@Index('ix_user_subscriptions_user', ['userId', 'createdAt'])
export class UserSubscription extends BaseEntity {
  @Column(uuidColumn())
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_user_subscriptions_user' })
  user?: User;

  @Column({ type: 'varchar', length: 50 })
  planId: string;

  @ManyToOne(() => SubscriptionPlan, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'plan_id', foreignKeyConstraintName: 'fk_user_subscriptions_plan' })
  plan?: SubscriptionPlan;

  @Column({ type: 'varchar', length: 20, default: 'active' })
  status: SubscriptionStatus;

  @Column(timestampColumn())
  currentPeriodStart: Date;

  @Column(timestampColumn())
  currentPeriodEnd: Date;

  @Column({ type: 'integer', default: 0 })
  computeUnitsUsed: number;

  @Column({ type: 'boolean', default: false })
  cancelAtPeriodEnd: boolean;

  @Column(timestampColumn({ nullable: true }))
  cancelledAt: Date | null;

  @Index('uq_user_subscriptions_lemon_squeezy', { unique: true })
  @Column({ type: 'varchar', length: 100, nullable: true })
  lemonSqueezySubscriptionId: string | null;
}
