import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { CursorPosition } from '../common/pagination/pagination';
import { applyKeyset } from '../database/keyset';
import { execute, fromJson, queryRows } from '../database/raw-sql';
import { QueryOptions, SqlRepository, toDate } from '../database/sql-repository';
import { JobStatus } from './job-status';
import { ToolGeneration } from './tool-generation.entity';

export interface ToolGenerationRow {
  id: string;
  userId: string;
  toolType: string;
  status: JobStatus;
  config: Record<string, unknown>;
  result: unknown;
  errorMessage: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ToolGenerationChanges {
  status: JobStatus;
  config?: Record<string, unknown>;
  result?: unknown;
  errorMessage?: string | null;
}

const columns = (p: string) => `${p}id, ${p}user_id AS "userId", ${p}tool_type AS "toolType",
  ${p}status, ${p}config, ${p}result, ${p}error_message AS "errorMessage",
  ${p}created_at AS "createdAt", ${p}updated_at AS "updatedAt"`;
const COLUMNS = columns('g.');

function toRow(r: Record<string, unknown>): ToolGenerationRow {
  return {
    id: String(r.id),
    userId: String(r.userId),
    toolType: String(r.toolType),
    status: r.status as JobStatus,
    config: fromJson(r.config),
    result: r.result === null || r.result === undefined ? null : fromJson(r.result),
    errorMessage: (r.errorMessage as string | null) ?? null,
    createdAt: toDate(r.createdAt)!,
    updatedAt: toDate(r.updatedAt)!,
  };
}

/** Every query on tool_generations; each takes the owner's user id first. */
@Injectable()
export class ToolGenerationsRepository extends SqlRepository {
  constructor(@InjectDataSource() dataSource: DataSource, clock: Clock) {
    super(dataSource, clock);
  }

  async insert(
    userId: string,
    values: { toolType: string; config: Record<string, unknown> },
  ): Promise<ToolGenerationRow> {
    const stamp = this.stamp();
    await this.on({ primary: true }, (m) =>
      execute(
        m,
        `INSERT INTO tool_generations (id, user_id, tool_type, status, config, created_at, updated_at)
         VALUES (:id, :userId, :toolType, 'pending', :config, :createdAt, :updatedAt)`,
        { ...stamp, userId, toolType: values.toolType, config: JSON.stringify(values.config) },
      ),
    );
    return { ...stamp, userId, ...values, status: 'pending', result: null, errorMessage: null };
  }

  async findOne(
    userId: string,
    id: string,
    options: QueryOptions = {},
  ): Promise<ToolGenerationRow | null> {
    const [raw] = await this.on({ primary: true, ...options }, (m) =>
      queryRows(
        m,
        `SELECT ${COLUMNS} FROM tool_generations g WHERE g.id = :id AND g.user_id = :userId`,
        {
          id,
          userId,
        },
      ),
    );
    return raw ? toRow(raw) : null;
  }

  async findPage(
    userId: string,
    filters: { status?: JobStatus; toolType?: string },
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<ToolGenerationRow[]> {
    const qb = this.dataSource
      .createQueryBuilder()
      .select(COLUMNS)
      .from(ToolGeneration, 'g')
      .where('g.user_id = :userId', { userId });
    if (filters.status) qb.andWhere('g.status = :status', { status: filters.status });
    if (filters.toolType) qb.andWhere('g.tool_type = :toolType', { toolType: filters.toolType });
    applyKeyset(qb, 'g', cursor, limit);
    return (await qb.getRawMany<Record<string, unknown>>()).map(toRow);
  }

  /** Conditional on the status read (`from`): null when it changed meanwhile. */
  async update(
    userId: string,
    id: string,
    from: JobStatus,
    changes: ToolGenerationChanges,
  ): Promise<ToolGenerationRow | null> {
    const sets = ['status = :status', 'updated_at = :now'];
    const params: Record<string, unknown> = {
      id,
      userId,
      from,
      status: changes.status,
      now: this.clock.now(),
    };
    if (changes.config !== undefined) {
      sets.push('config = :config');
      params.config = JSON.stringify(changes.config);
    }
    if (changes.result !== undefined) {
      sets.push('result = :result');
      params.result = JSON.stringify(changes.result);
    }
    if (changes.errorMessage !== undefined) {
      sets.push('error_message = :errorMessage');
      params.errorMessage = changes.errorMessage;
    }
    const [raw] = await this.on({ primary: true }, (m) =>
      queryRows(
        m,
        `UPDATE tool_generations SET ${sets.join(', ')}
         WHERE id = :id AND user_id = :userId AND status = :from RETURNING ${columns('')}`,
        params,
      ),
    );
    return raw ? toRow(raw) : null;
  }

  async delete(userId: string, id: string): Promise<boolean> {
    const n = await this.on({ primary: true }, (m) =>
      execute(m, 'DELETE FROM tool_generations WHERE id = :id AND user_id = :userId', {
        id,
        userId,
      }),
    );
    return n > 0;
  }

  /** Deletes up to `batch` finished generations last changed before `cutoff`. */
  async deleteFinishedBefore(cutoff: Date, batch: number): Promise<number> {
    return this.on({ primary: true }, (m) =>
      execute(
        m,
        `DELETE FROM tool_generations WHERE id IN (
           SELECT id FROM tool_generations WHERE status IN ('completed', 'failed') AND updated_at < :cutoff
           LIMIT ${batch})`,
        { cutoff },
      ),
    );
  }

  async count(): Promise<number> {
    const [row] = await this.on(undefined, (m) =>
      queryRows<{ n: unknown }>(m, 'SELECT COUNT(*) AS n FROM tool_generations'),
    );
    return Number(row?.n ?? 0);
  }
}
