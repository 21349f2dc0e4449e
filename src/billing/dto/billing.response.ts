import { ApiProperty } from '@nestjs/swagger';
import { ApiDateTime, DateTimeString, isoDateTime } from '../../common/http/date-time';
import { SUBSCRIPTION_STATUSES, SubscriptionStatus } from '../user-subscription.entity';
import { LedgerRow, PlanRow, SubscriptionRow } from '../subscription-row';

export class PlanResponse {
  /** Text key: free, starter, professional, enterprise. */
  id: string;
  name: string;
  /** Compute units granted per billing period (1 CU = 1 minute of task runtime). */
  monthlyComputeUnits: number;
  maxConcurrentTasks: number;
  priceCents: number;
  currency: string;
}

export class ComputeUnitsResponse {
  limit: number;
  used: number;
  remaining: number;
}

/** The caller's active subscription in its current period. */
export class SubscriptionResponse {
  planId: string;
  plan: PlanResponse;
  @ApiProperty({ enum: SUBSCRIPTION_STATUSES })
  status: SubscriptionStatus;
  @ApiDateTime()
  currentPeriodStart: DateTimeString;
  @ApiDateTime()
  currentPeriodEnd: DateTimeString;
  /** At the end of the period the subscription falls back to the free plan. */
  cancelAtPeriodEnd: boolean;
  computeUnits: ComputeUnitsResponse;
  maxConcurrentTasks: number;
}

/** One consumption (positive delta) or refund (negative delta). */
export class LedgerEntryResponse {
  id: string;
  taskId: string | null;
  delta: number;
  reason: string;
  @ApiDateTime()
  createdAt: DateTimeString;
}

export class LedgerPageResponse {
  @ApiProperty({ type: [LedgerEntryResponse] })
  items: LedgerEntryResponse[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export function toPlanResponse(plan: PlanRow): PlanResponse {
  return {
    id: plan.id,
    name: plan.name,
    monthlyComputeUnits: plan.monthlyComputeUnits,
    maxConcurrentTasks: plan.maxConcurrentTasks,
    priceCents: plan.priceCents,
    currency: plan.currency,
  };
}

export function toSubscriptionResponse(row: SubscriptionRow): SubscriptionResponse {
  const limit = row.plan.monthlyComputeUnits;
  return {
    planId: row.planId,
    plan: toPlanResponse(row.plan),
    status: row.status,
    currentPeriodStart: isoDateTime(row.currentPeriodStart),
    currentPeriodEnd: isoDateTime(row.currentPeriodEnd),
    cancelAtPeriodEnd: row.cancelAtPeriodEnd,
    computeUnits: {
      limit,
      used: row.computeUnitsUsed,
      remaining: Math.max(0, limit - row.computeUnitsUsed),
    },
    maxConcurrentTasks: row.plan.maxConcurrentTasks,
  };
}

export function toLedgerEntryResponse(row: LedgerRow): LedgerEntryResponse {
  return {
    id: row.id,
    taskId: row.taskId,
    delta: row.delta,
    reason: row.reason,
    createdAt: isoDateTime(row.createdAt),
  };
}
