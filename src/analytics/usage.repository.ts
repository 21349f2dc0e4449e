import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { execute, queryRows, valueRows } from '../database/raw-sql';
import { SqlRepository } from '../database/sql-repository';

export const USAGE_COUNTERS = [
  'tasksCreated',
  'tasksCompleted',
  'tasksFailed',
  'computeUnitsConsumed',
  'apiCalls',
] as const;
export type UsageCounter = (typeof USAGE_COUNTERS)[number];
export type UsageCounts = Record<UsageCounter, number>;

const COLUMN: Record<UsageCounter, string> = {
  tasksCreated: 'tasks_created',
  tasksCompleted: 'tasks_completed',
  tasksFailed: 'tasks_failed',
  computeUnitsConsumed: 'compute_units_consumed',
  apiCalls: 'api_calls',
};

/** Increments for one user on one UTC day (`YYYY-MM-DD`). */
export interface UsageIncrement extends UsageCounts {
  userId: string;
  date: string;
}

export interface UsageDayRow extends UsageCounts {
  date: string;
}

/** Every query on usage_analytics: additive upserts and the per-day read. */
@Injectable()
export class UsageRepository extends SqlRepository {
  constructor(@InjectDataSource() dataSource: DataSource, clock: Clock) {
    super(dataSource, clock);
  }

  /**
   * Adds the increments in one statement: `INSERT … ON CONFLICT (user_id, date) DO UPDATE SET
   * x = usage_analytics.x + excluded.x` (both databases). Never read-modify-write, so
   * concurrent flushes from any number of instances add up exactly. One row per (user, day).
   */
  async addAll(increments: UsageIncrement[]): Promise<void> {
    if (increments.length === 0) return;
    const now = this.clock.now();
    const values = valueRows(
      increments.map((inc) => [
        randomUUID(),
        inc.userId,
        inc.date,
        ...USAGE_COUNTERS.map((c) => inc[c]),
        now,
        now,
      ]),
    );
    const columns = USAGE_COUNTERS.map((c) => COLUMN[c]);
    await this.on({ primary: true }, (m) =>
      execute(
        m,
        `INSERT INTO usage_analytics (id, user_id, date, ${columns.join(', ')}, created_at, updated_at)
         VALUES ${values.sql}
         ON CONFLICT (user_id, date) DO UPDATE SET
           ${columns.map((c) => `${c} = usage_analytics.${c} + excluded.${c}`).join(', ')},
           updated_at = excluded.updated_at`,
        values.params,
      ),
    );
  }

  /** The user's rows from `from` to `to` (inclusive UTC days), oldest first. */
  async findDays(userId: string, from: string, to: string): Promise<UsageDayRow[]> {
    const day = this.postgres ? `to_char(date, 'YYYY-MM-DD')` : 'date';
    const rows = await this.on(undefined, (m) =>
      queryRows<Record<string, unknown>>(
        m,
        `SELECT ${day} AS date, ${USAGE_COUNTERS.map((c) => `${COLUMN[c]} AS "${c}"`).join(', ')}
         FROM usage_analytics WHERE user_id = :userId AND date >= :from AND date <= :to
         ORDER BY date`,
        { userId, from, to },
      ),
    );
    return rows.map((r) => ({
      date: String(r.date),
      ...(Object.fromEntries(USAGE_COUNTERS.map((c) => [c, Number(r[c] ?? 0)])) as UsageCounts),
    }));
  }
}
