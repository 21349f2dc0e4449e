import { toBool } from '../database/raw-sql';
import { toDate } from '../database/sql-repository';
import { SubscriptionStatus } from './user-subscription.entity';

/** A plan as the queries return it. */
export interface PlanRow {
  id: string;
  name: string;
  monthlyComputeUnits: number;
  maxConcurrentTasks: number;
  priceCents: number;
  currency: string;
  lemonSqueezyVariantId: string | null;
  isActive: boolean;
}

/** The active subscription of a user with its plan's limits (one query, plans joined). */
export interface SubscriptionRow {
  id: string;
  userId: string;
  planId: string;
  status: SubscriptionStatus;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  computeUnitsUsed: number;
  cancelAtPeriodEnd: boolean;
  cancelledAt: Date | null;
  lemonSqueezySubscriptionId: string | null;
  createdAt: Date;
  updatedAt: Date;
  plan: PlanRow;
}

export interface LedgerRow {
  id: string;
  userId: string;
  subscriptionId: string;
  taskId: string | null;
  delta: number;
  reason: string;
  createdAt: Date;
}

export const PLAN_COLUMNS = `p.id AS "planId", p.name AS "planName",
  p.monthly_compute_units AS "monthlyComputeUnits", p.max_concurrent_tasks AS "maxConcurrentTasks",
  p.price_cents AS "priceCents", p.currency AS "currency",
  p.lemon_squeezy_variant_id AS "lemonSqueezyVariantId", p.is_active AS "planIsActive"`;

export const SUBSCRIPTION_COLUMNS = `s.id AS "id", s.user_id AS "userId", s.status AS "status",
  s.current_period_start AS "currentPeriodStart", s.current_period_end AS "currentPeriodEnd",
  s.compute_units_used AS "computeUnitsUsed", s.cancel_at_period_end AS "cancelAtPeriodEnd",
  s.cancelled_at AS "cancelledAt", s.lemon_squeezy_subscription_id AS "lemonSqueezySubscriptionId",
  s.created_at AS "createdAt", s.updated_at AS "updatedAt", ${PLAN_COLUMNS}`;

export function toPlanRow(raw: Record<string, unknown>): PlanRow {
  return {
    id: raw.planId as string,
    name: raw.planName as string,
    monthlyComputeUnits: Number(raw.monthlyComputeUnits),
    maxConcurrentTasks: Number(raw.maxConcurrentTasks),
    priceCents: Number(raw.priceCents),
    currency: raw.currency as string,
    lemonSqueezyVariantId: (raw.lemonSqueezyVariantId as string | null) ?? null,
    isActive: toBool(raw.planIsActive),
  };
}

export function toSubscriptionRow(raw: Record<string, unknown>): SubscriptionRow {
  return {
    id: raw.id as string,
    userId: raw.userId as string,
    planId: raw.planId as string,
    status: raw.status as SubscriptionStatus,
    currentPeriodStart: toDate(raw.currentPeriodStart)!,
    currentPeriodEnd: toDate(raw.currentPeriodEnd)!,
    computeUnitsUsed: Number(raw.computeUnitsUsed),
    cancelAtPeriodEnd: toBool(raw.cancelAtPeriodEnd),
    cancelledAt: toDate(raw.cancelledAt),
    lemonSqueezySubscriptionId: (raw.lemonSqueezySubscriptionId as string | null) ?? null,
    createdAt: toDate(raw.createdAt)!,
    updatedAt: toDate(raw.updatedAt)!,
    plan: toPlanRow(raw),
  };
}

export function toLedgerRow(raw: Record<string, unknown>): LedgerRow {
  return {
    id: raw.id as string,
    userId: raw.userId as string,
    subscriptionId: raw.subscriptionId as string,
    taskId: (raw.taskId as string | null) ?? null,
    delta: Number(raw.delta),
    reason: raw.reason as string,
    createdAt: toDate(raw.createdAt)!,
  };
}
