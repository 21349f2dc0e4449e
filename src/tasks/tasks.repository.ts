import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, SelectQueryBuilder } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { CursorPosition } from '../common/pagination/pagination';
import { applyKeyset } from '../database/keyset';
import { execute, queryRows, valueRows } from '../database/raw-sql';
import { QueryOptions, SqlRepository } from '../database/sql-repository';
import { Tx, UnitOfWork } from '../database/unit-of-work';
import { LogLevel, TaskLog } from './task-log.entity';
import {
  TASK_COLUMNS,
  TASK_SUMMARY_COLUMNS,
  TaskLogRow,
  TaskRow,
  toTaskLogRow,
  toTaskRow,
} from './task-row';
import { Task, TaskStatus } from './task.entity';
import { uuidv7 } from './uuid-v7';

export interface NewTask {
  entityId: string | null;
  name: string;
  config: Record<string, unknown>;
  priority: number;
  maxAttempts: number;
}

/** What a transition sets; `addComputeUnits` is added to compute_units_consumed. */
export interface TaskChanges {
  status: TaskStatus;
  claimedBy?: string | null;
  leaseExpiresAt?: Date | null;
  startedAt?: Date | null;
  completedAt?: Date | null;
  errorMessage?: string | null;
  result?: unknown;
  addComputeUnits?: number;
}

export interface NewLogLine {
  level: LogLevel;
  message: string;
  metadata?: Record<string, unknown> | null;
}

export interface TaskFilters {
  status?: TaskStatus;
}

/**
 * Every query of the tasks module. User-facing reads take the user (or entity) id first;
 * worker paths are found by task id and checked by the service against the caller. Status
 * changes are conditional on the status read (and run with the row locked inside a unit).
 */
@Injectable()
export class TasksRepository extends SqlRepository {
  /** PostgreSQL: the whole claim in one statement (SKIP LOCKED: concurrent claimers never wait on each other). */
  private readonly claimAny = this.prepared.statement(() => this.claimSql(false));
  private readonly claimOwn = this.prepared.statement(() => this.claimSql(true));

  constructor(
    @InjectDataSource() dataSource: DataSource,
    clock: Clock,
    private readonly uow: UnitOfWork,
  ) {
    super(dataSource, clock);
  }

  async insertTask(userId: string, values: NewTask, tx: Tx): Promise<TaskRow> {
    const stamp = this.stamp();
    await execute(
      tx.manager,
      `INSERT INTO tasks (id, user_id, entity_id, name, config, config_version, status, priority,
         attempts, max_attempts, compute_units_consumed, created_at, updated_at)
       VALUES (:id, :userId, :entityId, :name, :config, 1, 'pending', :priority, 0, :maxAttempts, 0,
         :createdAt, :updatedAt)`,
      { ...stamp, userId, ...values, config: JSON.stringify(values.config) },
    );
    return {
      ...stamp,
      userId,
      ...values,
      configVersion: 1,
      status: 'pending',
      attempts: 0,
      claimedBy: null,
      leaseExpiresAt: null,
      leaseSeconds: null,
      startedAt: null,
      completedAt: null,
      errorMessage: null,
      result: null,
      computeUnitsConsumed: 0,
      version: 1,
    };
  }

  /** The user's pending + running tasks (the plan's concurrency cap counts these). */
  async countActive(userId: string, tx: Tx): Promise<number> {
    const [row] = await queryRows<{ n: unknown }>(
      tx.manager,
      `SELECT COUNT(*) AS n FROM tasks WHERE user_id = :userId AND status IN ('pending', 'running')`,
      { userId },
    );
    return Number(row?.n ?? 0);
  }

  async findById(id: string, options: QueryOptions = {}): Promise<TaskRow | null> {
    const [raw] = await this.on({ primary: true, ...options }, (m) =>
      queryRows(m, `SELECT ${this.columns('t')} FROM tasks t WHERE t.id = :id`, { id }),
    );
    return raw ? toTaskRow(raw) : null;
  }

  /** The task with its row locked for the rest of the unit (PostgreSQL; SQLite units are serial). */
  async findForUpdate(id: string, tx: Tx): Promise<TaskRow | null> {
    const lock = this.postgres ? ' FOR UPDATE' : '';
    const [raw] = await queryRows(
      tx.manager,
      `SELECT ${this.columns('t')} FROM tasks t WHERE t.id = :id${lock}`,
      { id },
    );
    return raw ? toTaskRow(raw) : null;
  }

  /** One page (limit+1 rows, newest first) of the user's tasks. */
  async findPageOfUser(
    userId: string,
    filters: TaskFilters,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<TaskRow[]> {
    const qb = this.summary().where('t.user_id = :userId', { userId });
    return this.page(qb, filters, limit, cursor);
  }

  /** One page (limit+1 rows, newest first) of an entity's tasks. */
  async findPageOfEntity(
    entityId: string,
    filters: TaskFilters,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<TaskRow[]> {
    const qb = this.summary().where('t.entity_id = :entityId', { entityId });
    return this.page(qb, filters, limit, cursor);
  }

  /**
   * Claims the highest-priority, oldest pending task (of `userId` only, when given): running,
   * attempts + 1, lease and started_at set. PostgreSQL: one UPDATE whose subquery takes the
   * row with FOR UPDATE SKIP LOCKED; SQLite: select then conditional update in one unit.
   * A task is never claimed twice: the UPDATE is conditional on `status = 'pending'`.
   */
  async claim(
    workerId: string,
    leaseSeconds: number,
    userId: string | null,
  ): Promise<TaskRow | null> {
    const now = this.clock.now();
    const params = {
      workerId,
      leaseSeconds,
      lease: new Date(now.getTime() + leaseSeconds * 1000),
      now,
      ...(userId ? { userId } : {}),
    };
    if (this.postgres) {
      const statement = userId ? this.claimOwn : this.claimAny;
      const [raw] = await statement.rows(params, { primary: true });
      return raw ? toTaskRow(raw) : null;
    }
    return this.uow.run(async ({ manager }) => {
      const [next] = await queryRows<{ id: string }>(
        manager,
        `SELECT id FROM tasks WHERE status = 'pending' ${userId ? 'AND user_id = :userId' : ''}
         ORDER BY priority DESC, created_at ASC, id ASC LIMIT 1`,
        params,
      );
      if (!next) return null;
      const [raw] = await queryRows(
        manager,
        `${this.claimUpdate()} WHERE id = :id AND status = 'pending' RETURNING ${this.returning()}`,
        {
          ...params,
          id: next.id,
        },
      );
      return raw ? toTaskRow(raw) : null;
    });
  }

  /** Extends the lease of a running task held by `workerId`; false when it is not (any more). */
  async extendLease(
    id: string,
    workerId: string,
    until: Date,
    leaseSeconds: number,
  ): Promise<boolean> {
    const rows = await this.on({ primary: true }, (m) =>
      queryRows(
        m,
        `UPDATE tasks SET lease_expires_at = :until, lease_seconds = :leaseSeconds, updated_at = :now,
           version = version + 1
         WHERE id = :id AND status = 'running' AND claimed_by = :workerId RETURNING id`,
        { id, workerId, until, leaseSeconds, now: this.clock.now() },
      ),
    );
    return rows.length > 0;
  }

  /** Applies a transition read in the same unit (`from`: the status it was read with). */
  async transition(id: string, from: TaskStatus, changes: TaskChanges, tx: Tx): Promise<TaskRow> {
    const sets = ['status = :status', 'updated_at = :now', 'version = version + 1'];
    const params: Record<string, unknown> = {
      id,
      from,
      status: changes.status,
      now: this.clock.now(),
    };
    const set = (column: string, key: keyof TaskChanges, value: unknown) => {
      if (changes[key] === undefined) return;
      sets.push(`${column} = :${key}`);
      params[key] = value;
    };
    set('claimed_by', 'claimedBy', changes.claimedBy);
    set('lease_expires_at', 'leaseExpiresAt', changes.leaseExpiresAt);
    set('started_at', 'startedAt', changes.startedAt);
    set('completed_at', 'completedAt', changes.completedAt);
    set('error_message', 'errorMessage', changes.errorMessage);
    set(
      'result',
      'result',
      changes.result === undefined ? undefined : JSON.stringify(changes.result),
    );
    if (changes.addComputeUnits) {
      sets.push('compute_units_consumed = compute_units_consumed + :addComputeUnits');
      params.addComputeUnits = changes.addComputeUnits;
    }
    const [raw] = await queryRows(
      tx.manager,
      `UPDATE tasks SET ${sets.join(', ')} WHERE id = :id AND status = :from RETURNING ${this.returning()}`,
      params,
    );
    if (!raw) throw new Error(`task ${id} changed under a held row lock`);
    return toTaskRow(raw);
  }

  /** Ids of running tasks whose lease ended before `now`, oldest lease first. */
  async findExpiredLeases(now: Date, limit: number, tx: Tx): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      tx.manager,
      `SELECT id FROM tasks WHERE status = 'running' AND lease_expires_at < :now
       ORDER BY lease_expires_at LIMIT ${Math.floor(limit)}`,
      { now },
    );
    return rows.map((r) => r.id);
  }

  /** The lines in one multi-row INSERT; ids are time-ordered so the batch keeps its order. */
  async insertLogs(
    taskId: string,
    lines: NewLogLine[],
    options: QueryOptions = {},
  ): Promise<number> {
    if (lines.length === 0) return 0;
    const now = this.clock.now();
    const values = valueRows(
      lines.map((line) => [
        uuidv7(),
        taskId,
        line.level,
        line.message,
        line.metadata ? JSON.stringify(line.metadata) : null,
        now,
      ]),
    );
    await this.on({ primary: true, ...options }, (m) =>
      execute(
        m,
        `INSERT INTO task_logs (id, task_id, level, message, metadata, created_at) VALUES ${values.sql}`,
        values.params,
      ),
    );
    return lines.length;
  }

  /** Deletes up to `batch` log lines written before `cutoff` (cleanup; index on created_at). */
  async deleteLogsBefore(cutoff: Date, batch: number): Promise<number> {
    return this.on({ primary: true }, (m) =>
      execute(
        m,
        `DELETE FROM task_logs WHERE id IN (
           SELECT id FROM task_logs WHERE created_at < :cutoff LIMIT ${batch})`,
        { cutoff },
      ),
    );
  }

  /** One page (limit+1 rows, oldest first) of a task's log. */
  async findLogsPage(
    taskId: string,
    level: LogLevel | undefined,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<TaskLogRow[]> {
    const qb = this.dataSource
      .getRepository(TaskLog)
      .createQueryBuilder('l')
      .select('l.id', 'id')
      .addSelect('l.task_id', 'taskId')
      .addSelect('l.level', 'level')
      .addSelect('l.message', 'message')
      .addSelect('l.metadata', 'metadata')
      .addSelect('l.created_at', 'createdAt')
      .where('l.task_id = :taskId', { taskId });
    if (level) qb.andWhere('l.level = :level', { level });
    if (cursor) {
      qb.andWhere('(l.created_at, l.id) > (:cursorCreatedAt, :cursorId)', {
        cursorCreatedAt: cursor.createdAt,
        cursorId: cursor.id,
      });
    }
    const raws = await qb
      .orderBy('l.created_at', 'ASC')
      .addOrderBy('l.id', 'ASC')
      .limit(limit + 1)
      .getRawMany();
    return raws.map(toTaskLogRow);
  }

  private page(
    qb: SelectQueryBuilder<Task>,
    filters: TaskFilters,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<TaskRow[]> {
    if (filters.status) qb.andWhere('t.status = :status', { status: filters.status });
    return applyKeyset(qb, 't', cursor, limit)
      .getRawMany()
      .then((raws) => raws.map(toTaskRow));
  }

  private summary(): SelectQueryBuilder<Task> {
    const qb = this.dataSource.getRepository(Task).createQueryBuilder('t');
    qb.select(`t.${TASK_SUMMARY_COLUMNS[0][0]}`, TASK_SUMMARY_COLUMNS[0][1]);
    for (const [column, property] of TASK_SUMMARY_COLUMNS.slice(1))
      qb.addSelect(`t.${column}`, property);
    return qb;
  }

  /** Every column as its property; `result` as JSON text on both databases (it may be any JSON value). */
  private columns(alias: string): string {
    return TASK_COLUMNS.map(([c, p]) =>
      c === 'result' && this.postgres
        ? `CAST(${alias}.result AS text) AS "result"`
        : `${alias}.${c} AS "${p}"`,
    ).join(', ');
  }

  private returning(): string {
    return TASK_COLUMNS.map(([c, p]) =>
      c === 'result' && this.postgres ? `CAST(result AS text) AS "result"` : `${c} AS "${p}"`,
    ).join(', ');
  }

  private claimUpdate(): string {
    return `UPDATE tasks SET status = 'running', attempts = attempts + 1, claimed_by = :workerId,
      lease_expires_at = :lease, lease_seconds = :leaseSeconds, started_at = :now,
      completed_at = NULL, updated_at = :now, version = version + 1`;
  }

  private claimSql(own: boolean): string {
    return `${this.claimUpdate()}
      WHERE id = (SELECT id FROM tasks WHERE status = 'pending' ${own ? 'AND user_id = :userId' : ''}
                  ORDER BY priority DESC, created_at ASC, id ASC LIMIT 1 FOR UPDATE SKIP LOCKED)
        AND status = 'pending'
      RETURNING ${this.returning()}`;
  }
}
