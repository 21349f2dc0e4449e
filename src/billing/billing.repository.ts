import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { CursorPosition } from '../common/pagination/pagination';
import { applyKeyset } from '../database/keyset';
import { execute, queryRows } from '../database/raw-sql';
import { QueryOptions, SqlRepository } from '../database/sql-repository';
import { UnitOfWork } from '../database/unit-of-work';
import { ComputeUnitLedgerEntry } from './compute-unit-ledger.entity';
import {
  LedgerRow,
  PLAN_COLUMNS,
  PlanRow,
  SUBSCRIPTION_COLUMNS,
  SubscriptionRow,
  toLedgerRow,
  toPlanRow,
  toSubscriptionRow,
} from './subscription-row';

/** What a charge or refund wrote: the amount (0 when nothing was changed) and the new total. */
export interface ChargeResult {
  subscriptionId: string;
  charged: number;
  used: number;
}

export interface NewPeriod {
  start: Date;
  end: Date;
}

/** Fields a plan change or a webhook may set on the active subscription (period reset included). */
export interface SubscriptionChanges {
  planId?: string;
  period?: NewPeriod;
  cancelAtPeriodEnd?: boolean;
  cancelledAt?: Date | null;
  lemonSqueezySubscriptionId?: string | null;
}

/**
 * Every query on plans, subscriptions and the compute-unit ledger. Subscriptions are reached
 * by user id (the user's one active row); every change of `compute_units_used` is a
 * conditional UPDATE written together with its ledger row.
 */
@Injectable()
export class BillingRepository extends SqlRepository {
  /**
   * PostgreSQL hot path of consumeComputeUnits: the conditional UPDATE and the ledger INSERT in
   * one statement (atomic by itself, one round trip), as a named prepared statement.
   */
  private readonly chargeStatement = this.prepared.statement(() => CHARGE_POSTGRES);

  constructor(
    @InjectDataSource() dataSource: DataSource,
    clock: Clock,
    private readonly uow: UnitOfWork,
  ) {
    super(dataSource, clock);
  }

  // ── plans ────────────────────────────────────────────────────────────────

  async findPlans(activeOnly: boolean): Promise<PlanRow[]> {
    const raws = await queryRows(
      this.dataSource.manager,
      `SELECT ${PLAN_COLUMNS} FROM subscription_plans p
       ${activeOnly ? 'WHERE p.is_active = :active' : ''} ORDER BY p.price_cents, p.id`,
      activeOnly ? { active: true } : {},
    );
    return raws.map(toPlanRow);
  }

  async findPlan(planId: string): Promise<PlanRow | null> {
    const [raw] = await queryRows(
      this.dataSource.manager,
      `SELECT ${PLAN_COLUMNS} FROM subscription_plans p WHERE p.id = :planId`,
      { planId },
    );
    return raw ? toPlanRow(raw) : null;
  }

  async findPlanByVariant(variantId: string): Promise<PlanRow | null> {
    const [raw] = await queryRows(
      this.dataSource.manager,
      `SELECT ${PLAN_COLUMNS} FROM subscription_plans p WHERE p.lemon_squeezy_variant_id = :variantId`,
      { variantId },
    );
    return raw ? toPlanRow(raw) : null;
  }

  // ── subscriptions ────────────────────────────────────────────────────────

  /** The user's active subscription with its plan; `lock` takes its row lock (PostgreSQL, inside a unit). */
  async findActive(
    userId: string,
    options: QueryOptions & { lock?: boolean } = {},
  ): Promise<SubscriptionRow | null> {
    const lock = options.lock && options.tx && this.postgres ? ' FOR UPDATE OF s' : '';
    const [raw] = await this.on({ primary: true, ...options }, (m) =>
      queryRows(
        m,
        `SELECT ${SUBSCRIPTION_COLUMNS} FROM user_subscriptions s
         JOIN subscription_plans p ON p.id = s.plan_id
         WHERE s.user_id = :userId AND s.status = 'active'${lock}`,
        { userId },
      ),
    );
    return raw ? toSubscriptionRow(raw) : null;
  }

  /**
   * Inserts an active subscription unless the user has one: the partial unique index settles
   * concurrent first uses (INSERT … ON CONFLICT DO NOTHING on both databases), so there is
   * never a second. True when this call inserted it.
   */
  async insertActiveIfAbsent(
    userId: string,
    planId: string,
    period: NewPeriod,
    options: QueryOptions = {},
  ): Promise<boolean> {
    const now = this.clock.now();
    const inserted = await this.on(options, (m) =>
      queryRows(
        m,
        `INSERT INTO user_subscriptions (id, user_id, plan_id, status, current_period_start,
           current_period_end, compute_units_used, cancel_at_period_end, created_at, updated_at)
         VALUES (:id, :userId, :planId, 'active', :start, :end, 0, :no, :now, :now)
         ON CONFLICT DO NOTHING RETURNING id`,
        { id: randomUUID(), userId, planId, start: period.start, end: period.end, no: false, now },
      ),
    );
    return inserted.length > 0;
  }

  /**
   * Starts the next period of a subscription whose period has ended (used back to 0; the
   * ledger is untouched). Conditional on the period having ended, so of two concurrent
   * rollovers one applies and the other changes nothing. True when this call applied it.
   */
  async rollOver(id: string, period: NewPeriod, options: QueryOptions = {}): Promise<boolean> {
    const now = this.clock.now();
    const rows = await this.on(options, (m) =>
      queryRows(
        m,
        `UPDATE user_subscriptions SET current_period_start = :start, current_period_end = :end,
           compute_units_used = 0, updated_at = :now
         WHERE id = :id AND status = 'active' AND current_period_end <= :now RETURNING id`,
        { id, start: period.start, end: period.end, now },
      ),
    );
    return rows.length > 0;
  }

  /** Ends the active subscription `id` (status `expired`); false when it is no longer active. */
  async expire(id: string, options: QueryOptions = {}): Promise<boolean> {
    const rows = await this.on(options, (m) =>
      queryRows(
        m,
        `UPDATE user_subscriptions SET status = 'expired', updated_at = :now
         WHERE id = :id AND status = 'active' RETURNING id`,
        { id, now: this.clock.now() },
      ),
    );
    return rows.length > 0;
  }

  /** Changes the active subscription `id`; a new period also resets the used CU to 0. */
  async update(
    id: string,
    changes: SubscriptionChanges,
    options: QueryOptions = {},
  ): Promise<boolean> {
    const sets: string[] = ['updated_at = :now'];
    const params: Record<string, unknown> = { id, now: this.clock.now() };
    if (changes.planId !== undefined) {
      sets.push('plan_id = :planId');
      params.planId = changes.planId;
    }
    if (changes.period) {
      sets.push('current_period_start = :start, current_period_end = :end, compute_units_used = 0');
      params.start = changes.period.start;
      params.end = changes.period.end;
    }
    if (changes.cancelAtPeriodEnd !== undefined) {
      sets.push('cancel_at_period_end = :cancel');
      params.cancel = changes.cancelAtPeriodEnd;
    }
    if (changes.cancelledAt !== undefined) {
      sets.push('cancelled_at = :cancelledAt');
      params.cancelledAt = changes.cancelledAt;
    }
    if (changes.lemonSqueezySubscriptionId !== undefined) {
      sets.push('lemon_squeezy_subscription_id = :lsId');
      params.lsId = changes.lemonSqueezySubscriptionId;
    }
    const rows = await this.on(options, (m) =>
      queryRows(
        m,
        `UPDATE user_subscriptions SET ${sets.join(', ')} WHERE id = :id AND status = 'active' RETURNING id`,
        params,
      ),
    );
    return rows.length > 0;
  }

  // ── compute units ────────────────────────────────────────────────────────

  /**
   * Adds `units` to the user's current period if the plan's limit allows all of them, and
   * writes the ledger row: one conditional UPDATE (`used + n <= limit`, period not over) plus
   * the INSERT, as one statement on PostgreSQL and as a unit of work on SQLite (joining
   * `options.tx` when given). Null when nothing was charged (no active
   * subscription in a current period, or not enough CU left).
   */
  async charge(
    userId: string,
    units: number,
    taskId: string | null,
    reason: string,
    options: QueryOptions = {},
  ): Promise<ChargeResult | null> {
    const now = this.clock.now();
    const params = { userId, units, taskId, reason, now, ledgerId: randomUUID() };
    if (this.postgres) {
      const rows = options.tx
        ? await queryRows(options.tx.manager, CHARGE_POSTGRES, params)
        : await this.chargeStatement.rows(params, { primary: true });
      const [row] = rows as Array<{ id: string; used: unknown }>;
      return row ? { subscriptionId: row.id, charged: units, used: Number(row.used) } : null;
    }
    return this.uow.run(
      async ({ manager: m }) => {
        const [row] = await queryRows<{ id: string; used: unknown }>(
          m,
          `UPDATE user_subscriptions SET compute_units_used = compute_units_used + :units, updated_at = :now
         WHERE user_id = :userId AND status = 'active' AND current_period_end > :now
           AND compute_units_used + :units <= (SELECT p.monthly_compute_units FROM subscription_plans p
                                               WHERE p.id = user_subscriptions.plan_id)
         RETURNING id, compute_units_used AS used`,
          params,
        );
        if (!row) return null;
        await this.insertLedger(m, { ...params, subscriptionId: row.id, delta: units });
        return { subscriptionId: row.id, charged: units, used: Number(row.used) };
      },
      { within: options.tx },
    );
  }

  /**
   * Adds `delta` (positive: a charge, negative: a refund) to the locked subscription row and
   * writes the ledger row; for callers that already hold the row (findActive with lock, in
   * `tx`) and have worked out an amount that fits.
   */
  async applyDelta(
    subscription: SubscriptionRow,
    delta: number,
    taskId: string | null,
    reason: string,
    tx: QueryOptions['tx'],
  ): Promise<ChargeResult> {
    const now = this.clock.now();
    return this.on({ tx }, async (m) => {
      const [row] = await queryRows<{ used: unknown }>(
        m,
        `UPDATE user_subscriptions SET compute_units_used = compute_units_used + :delta, updated_at = :now
         WHERE id = :id AND compute_units_used + :delta >= 0 RETURNING compute_units_used AS used`,
        { id: subscription.id, delta, now },
      );
      if (!row) throw new Error('compute units changed under a held row lock');
      await this.insertLedger(m, {
        ledgerId: randomUUID(),
        userId: subscription.userId,
        subscriptionId: subscription.id,
        taskId,
        delta,
        reason,
        now,
      });
      return { subscriptionId: subscription.id, charged: delta, used: Number(row.used) };
    });
  }

  /** One page (limit+1 rows, newest first) of a subscription's ledger rows in [from, to). */
  async findLedgerPage(
    userId: string,
    subscriptionId: string,
    from: Date,
    to: Date,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<LedgerRow[]> {
    const qb = this.dataSource
      .getRepository(ComputeUnitLedgerEntry)
      .createQueryBuilder('l')
      .select('l.id', 'id')
      .addSelect('l.user_id', 'userId')
      .addSelect('l.subscription_id', 'subscriptionId')
      .addSelect('l.task_id', 'taskId')
      .addSelect('l.delta', 'delta')
      .addSelect('l.reason', 'reason')
      .addSelect('l.created_at', 'createdAt')
      .where('l.user_id = :userId AND l.subscription_id = :subscriptionId', {
        userId,
        subscriptionId,
      })
      .andWhere('l.created_at >= :from AND l.created_at < :to', { from, to });
    return (await applyKeyset(qb, 'l', cursor, limit).getRawMany()).map(toLedgerRow);
  }

  /** Sum of a subscription's ledger in [from, to) (the invariant: equals the period's used CU). */
  async ledgerSum(userId: string, subscriptionId: string, from: Date, to: Date): Promise<number> {
    const [row] = await queryRows<{ n: unknown }>(
      this.dataSource.manager,
      `SELECT COALESCE(SUM(delta), 0) AS n FROM compute_unit_ledger
       WHERE user_id = :userId AND subscription_id = :subscriptionId AND created_at >= :from AND created_at < :to`,
      { userId, subscriptionId, from, to },
    );
    return Number(row?.n ?? 0);
  }

  private async insertLedger(
    m: EntityManager,
    row: {
      ledgerId: string;
      userId: string;
      subscriptionId: string;
      taskId: string | null;
      delta: number;
      reason: string;
      now: Date;
    },
  ): Promise<void> {
    await execute(
      m,
      `INSERT INTO compute_unit_ledger (id, user_id, subscription_id, task_id, delta, reason, created_at)
       VALUES (:ledgerId, :userId, :subscriptionId, :taskId, :delta, :reason, :now)`,
      row,
    );
  }
}

const CHARGE_POSTGRES = `WITH s AS (
    UPDATE user_subscriptions SET compute_units_used = compute_units_used + :units, updated_at = :now
    WHERE user_id = :userId AND status = 'active' AND current_period_end > :now
      AND compute_units_used + :units <= (SELECT p.monthly_compute_units FROM subscription_plans p
                                          WHERE p.id = user_subscriptions.plan_id)
    RETURNING id, user_id, compute_units_used
  ), ledger AS (
    INSERT INTO compute_unit_ledger (id, user_id, subscription_id, task_id, delta, reason, created_at)
    SELECT CAST(:ledgerId AS uuid), s.user_id, s.id, CAST(:taskId AS uuid), :units, CAST(:reason AS varchar), :now
    FROM s
  )
  SELECT id, compute_units_used AS used FROM s`;
