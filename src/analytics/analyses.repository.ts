import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { CursorPosition } from '../common/pagination/pagination';
import { applyKeyset } from '../database/keyset';
import { execute, fromJson, queryRows } from '../database/raw-sql';
import { QueryOptions, SqlRepository, toDate } from '../database/sql-repository';
import type { Tx } from '../database/unit-of-work';
import { AnalysisFile } from './analysis-file.entity';
import { DataAnalysis } from './data-analysis.entity';
import { JobStatus } from './job-status';
import { VersionCondition } from '../common/http/etag';
import { versionClause } from '../database/versioning';

export interface AnalysisRow {
  id: string;
  userId: string;
  entityId: string | null;
  name: string;
  analysisType: string;
  status: JobStatus;
  parameters: Record<string, unknown>;
  result: unknown;
  errorMessage: string | null;
  startedAt: Date | null;
  completedAt: Date | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface AnalysisChanges {
  status: JobStatus;
  result?: unknown;
  errorMessage?: string | null;
  /** Set when the analysis starts processing (first time only). */
  startedAt?: Date;
  /** Set when it reaches a terminal status. */
  completedAt?: Date;
}

export interface AnalysisFileRow {
  id: string;
  analysisId: string;
  filename: string;
  storageKey: string;
  fileType: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  createdAt: Date;
}

export type NewAnalysisFile = Omit<AnalysisFileRow, 'id' | 'createdAt'>;

const columns = (p: string) => `${p}id, ${p}user_id AS "userId", ${p}entity_id AS "entityId",
  ${p}name, ${p}analysis_type AS "analysisType", ${p}status, ${p}parameters, ${p}result,
  ${p}error_message AS "errorMessage", ${p}started_at AS "startedAt",
  ${p}completed_at AS "completedAt", ${p}version, ${p}created_at AS "createdAt", ${p}updated_at AS "updatedAt"`;
const COLUMNS = columns('a.');

const FILE_COLUMNS = `f.id, f.analysis_id AS "analysisId", f.filename, f.storage_key AS "storageKey",
  f.file_type AS "fileType", f.content_type AS "contentType", f.size_bytes AS "sizeBytes",
  f.sha256, f.created_at AS "createdAt"`;

function toRow(r: Record<string, unknown>): AnalysisRow {
  return {
    id: String(r.id),
    userId: String(r.userId),
    entityId: (r.entityId as string | null) ?? null,
    name: String(r.name),
    analysisType: String(r.analysisType),
    status: r.status as JobStatus,
    parameters: fromJson(r.parameters),
    result: r.result === null || r.result === undefined ? null : fromJson(r.result),
    errorMessage: (r.errorMessage as string | null) ?? null,
    startedAt: toDate(r.startedAt),
    completedAt: toDate(r.completedAt),
    version: Number(r.version),
    createdAt: toDate(r.createdAt)!,
    updatedAt: toDate(r.updatedAt)!,
  };
}

function toFileRow(r: Record<string, unknown>): AnalysisFileRow {
  return {
    id: String(r.id),
    analysisId: String(r.analysisId),
    filename: String(r.filename),
    storageKey: String(r.storageKey),
    fileType: String(r.fileType),
    contentType: String(r.contentType),
    sizeBytes: Number(r.sizeBytes),
    sha256: String(r.sha256),
    createdAt: toDate(r.createdAt)!,
  };
}

/** Every query on data_analyses and analysis_files; each takes the owner's user id first. */
@Injectable()
export class AnalysesRepository extends SqlRepository {
  constructor(@InjectDataSource() dataSource: DataSource, clock: Clock) {
    super(dataSource, clock);
  }

  async insert(
    userId: string,
    values: {
      entityId: string | null;
      name: string;
      analysisType: string;
      parameters: Record<string, unknown>;
    },
  ): Promise<AnalysisRow> {
    const stamp = this.stamp();
    await this.on({ primary: true }, (m) =>
      execute(
        m,
        `INSERT INTO data_analyses (id, user_id, entity_id, name, analysis_type, status, parameters,
           created_at, updated_at)
         VALUES (:id, :userId, :entityId, :name, :analysisType, 'pending', :parameters,
           :createdAt, :updatedAt)`,
        { ...stamp, userId, ...values, parameters: JSON.stringify(values.parameters) },
      ),
    );
    return {
      ...stamp,
      userId,
      ...values,
      status: 'pending',
      result: null,
      errorMessage: null,
      startedAt: null,
      completedAt: null,
      version: 1,
    };
  }

  async findOne(
    userId: string,
    id: string,
    options: QueryOptions = {},
  ): Promise<AnalysisRow | null> {
    const [raw] = await this.on({ primary: true, ...options }, (m) =>
      queryRows(
        m,
        `SELECT ${COLUMNS} FROM data_analyses a WHERE a.id = :id AND a.user_id = :userId`,
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
    filters: { status?: JobStatus; analysisType?: string },
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<AnalysisRow[]> {
    const qb = this.dataSource
      .createQueryBuilder()
      .select(COLUMNS)
      .from(DataAnalysis, 'a')
      .where('a.user_id = :userId', { userId });
    if (filters.status) qb.andWhere('a.status = :status', { status: filters.status });
    if (filters.analysisType)
      qb.andWhere('a.analysis_type = :analysisType', { analysisType: filters.analysisType });
    applyKeyset(qb, 'a', cursor, limit);
    return (await qb.getRawMany<Record<string, unknown>>()).map(toRow);
  }

  /** Conditional on the status read (`from`) and the `expected` versions: null when it changed meanwhile. */
  async update(
    userId: string,
    id: string,
    from: JobStatus,
    changes: AnalysisChanges,
    expected?: VersionCondition,
  ): Promise<AnalysisRow | null> {
    const sets = ['status = :status', 'updated_at = :now', 'version = version + 1'];
    const versioned = versionClause(expected);
    const params: Record<string, unknown> = {
      id,
      userId,
      from,
      status: changes.status,
      now: this.clock.now(),
      ...versioned.params,
    };
    if (changes.result !== undefined) {
      sets.push('result = :result');
      params.result = JSON.stringify(changes.result);
    }
    if (changes.errorMessage !== undefined) {
      sets.push('error_message = :errorMessage');
      params.errorMessage = changes.errorMessage;
    }
    if (changes.startedAt) {
      sets.push('started_at = COALESCE(started_at, :startedAt)');
      params.startedAt = changes.startedAt;
    }
    if (changes.completedAt) {
      sets.push('completed_at = :completedAt');
      params.completedAt = changes.completedAt;
    }
    const [raw] = await this.on({ primary: true }, (m) =>
      queryRows(
        m,
        `UPDATE data_analyses SET ${sets.join(', ')}
         WHERE id = :id AND user_id = :userId AND status = :from${versioned.sql}
         RETURNING ${columns('')}`,
        params,
      ),
    );
    return raw ? toRow(raw) : null;
  }

  /**
   * Deletes the analysis and its file rows (run it in a unit of work); the storage keys of the
   * deleted files (to remove from disk after), null when there is no such analysis of yours, or
   * `{ stale: version }` when it is not at an `expected` version (nothing deleted).
   */
  async delete(
    userId: string,
    id: string,
    tx: Tx,
    expected?: VersionCondition,
  ): Promise<string[] | { stale: number } | null> {
    return this.on({ tx }, async (m) => {
      if (expected !== undefined) {
        // Locked (PostgreSQL) for the two DELETEs that follow; SQLite units are serial.
        const lock = this.postgres ? ' FOR UPDATE' : '';
        const [row] = await queryRows<{ version: unknown }>(
          m,
          `SELECT version FROM data_analyses WHERE id = :id AND user_id = :userId${lock}`,
          { id, userId },
        );
        if (!row) return null;
        if (!expected.includes(Number(row.version))) return { stale: Number(row.version) };
      }
      const files = await queryRows<{ storageKey: string }>(
        m,
        `DELETE FROM analysis_files WHERE analysis_id IN (
           SELECT id FROM data_analyses WHERE id = :id AND user_id = :userId)
         RETURNING storage_key AS "storageKey"`,
        { id, userId },
      );
      const n = await execute(m, 'DELETE FROM data_analyses WHERE id = :id AND user_id = :userId', {
        id,
        userId,
      });
      return n > 0 ? files.map((f) => f.storageKey) : null;
    });
  }

  /**
   * Deletes up to `batch` finished (completed or failed) analyses last changed before `cutoff`,
   * with their file rows (run it in a unit of work): their ids, and the storage keys to remove.
   */
  async deleteFinishedBefore(
    cutoff: Date,
    batch: number,
    tx: Tx,
  ): Promise<{ ids: string[]; storageKeys: string[] }> {
    return this.on({ tx }, async (m) => {
      const ids = (
        await queryRows<{ id: string }>(
          m,
          `SELECT id FROM data_analyses WHERE status IN ('completed', 'failed') AND updated_at < :cutoff
           LIMIT ${Math.floor(batch)}`,
          { cutoff },
        )
      ).map((r) => r.id);
      if (ids.length === 0) return { ids, storageKeys: [] };
      const files = await queryRows<{ storageKey: string }>(
        m,
        'DELETE FROM analysis_files WHERE analysis_id IN (:...ids) RETURNING storage_key AS "storageKey"',
        { ids },
      );
      await execute(m, 'DELETE FROM data_analyses WHERE id IN (:...ids)', { ids });
      return { ids, storageKeys: files.map((f) => f.storageKey) };
    });
  }

  /** Inserts the file row only while the analysis exists and is yours; null otherwise. */
  async insertFile(userId: string, file: NewAnalysisFile): Promise<AnalysisFileRow | null> {
    const { id, createdAt } = this.stamp();
    const n = await this.on({ primary: true }, (m) =>
      execute(
        m,
        `INSERT INTO analysis_files (id, analysis_id, filename, storage_key, file_type,
           content_type, size_bytes, sha256, created_at)
         SELECT :id, a.id, :filename, :storageKey, :fileType, :contentType, :sizeBytes, :sha256,
           :createdAt
         FROM data_analyses a WHERE a.id = :analysisId AND a.user_id = :userId`,
        { id, createdAt, userId, ...file },
      ),
    );
    return n > 0 ? { id, createdAt, ...file } : null;
  }

  async findFilesPage(
    userId: string,
    analysisId: string,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<AnalysisFileRow[]> {
    const qb = this.dataSource
      .createQueryBuilder()
      .select(FILE_COLUMNS)
      .from(AnalysisFile, 'f')
      .innerJoin(DataAnalysis, 'a', 'a.id = f.analysis_id')
      .where('f.analysis_id = :analysisId AND a.user_id = :userId', { analysisId, userId });
    applyKeyset(qb, 'f', cursor, limit);
    return (await qb.getRawMany<Record<string, unknown>>()).map(toFileRow);
  }

  async findFile(
    userId: string,
    analysisId: string,
    fileId: string,
  ): Promise<AnalysisFileRow | null> {
    const [raw] = await this.on({ primary: true }, (m) =>
      queryRows(
        m,
        `SELECT ${FILE_COLUMNS} FROM analysis_files f
         JOIN data_analyses a ON a.id = f.analysis_id
         WHERE f.id = :fileId AND f.analysis_id = :analysisId AND a.user_id = :userId`,
        { fileId, analysisId, userId },
      ),
    );
    return raw ? toFileRow(raw) : null;
  }
}
