import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { NOW_DEFAULT, timestampColumn } from '../database/column-types';

/**
 * What a plan grants per billing period: compute units (1 CU = 1 minute of task runtime) and a
 * cap on concurrent tasks. Seeded by a migration (free, starter, professional, enterprise);
 * `lemon_squeezy_variant_id` maps a Lemon Squeezy product variant to the plan (set by operators).
 */
@Entity('subscription_plans')
export class SubscriptionPlan {
  /** A text key: `free`, `starter`, … */
  @PrimaryColumn({ type: 'varchar', length: 50 })
  id: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'integer' })
  monthlyComputeUnits: number;

  @Column({ type: 'integer' })
  maxConcurrentTasks: number;

  @Column({ type: 'integer' })
  priceCents: number;

  @Column({ type: 'varchar', length: 3, default: 'USD' })
  currency: string;

  @Index('uq_subscription_plans_variant', { unique: true })
  @Column({ type: 'varchar', length: 100, nullable: true })
  lemonSqueezyVariantId: string | null;

  @Column({ type: 'boolean', default: true })
  isActive: boolean;

  @Column(timestampColumn({ default: NOW_DEFAULT }))
  createdAt: Date;

  @Column(timestampColumn({ default: NOW_DEFAULT }))
  updatedAt: Date;
}
