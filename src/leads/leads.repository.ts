import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, SelectQueryBuilder } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { CursorPosition } from '../common/pagination/pagination';
import { applyKeyset, keysetParameters, orderByKeyset } from '../database/keyset';
import { QueryOptions, SqlRepository } from '../database/sql-repository';
import { whereVersion } from '../database/versioning';
import { VersionCondition } from '../common/http/etag';
import {
  filterLeads,
  LEAD_COLUMNS,
  LeadFilters,
  LeadRow,
  selectLeadColumns,
  toLeadRow,
} from './lead-row';
import { COUNT_CAP } from './dto/list-leads.query.dto';
import { Lead, LEAD_STATUSES, LeadStatus } from './lead.entity';
import { PostgresLeadSearch } from './leads.search';

export type NewLead = Omit<LeadRow, 'createdAt' | 'updatedAt' | 'id' | 'version'>;

export type LeadChanges = Partial<
  Pick<LeadRow, 'firstName' | 'lastName' | 'email' | 'notes' | 'status' | 'reachedOutAt'>
>;

/**
 * Every query of the leads module, named after its use case; every method takes the entity
 * id first, so no query can reach another tenant's rows. Hot paths (insert, by id, list pages
 * without search) are prepared statements and map raw rows (no entity hydration); writes are
 * single statements.
 */
@Injectable()
export class LeadsRepository extends SqlRepository {
  private readonly insert = this.prepared.statement(
    () =>
      `INSERT INTO "leads" (${LEAD_COLUMNS.map(([c]) => `"${c}"`).join(', ')}) ` +
      `VALUES (${LEAD_COLUMNS.map(([, p]) => `:${p}`).join(', ')})`,
  );
  private readonly byId = this.prepared.statement(() =>
    this.select().where('l.entity_id = :entityId AND l.id = :id').getQuery(),
  );
  /** One SQL text per combination of filters present (its parameters), limit as a parameter. */
  private readonly page = this.prepared.statement((p) => {
    const filters: LeadFilters = {
      status: p.status,
      createdFrom: p.createdFrom,
      createdTo: p.createdTo,
    };
    const cursor = p.cursorId ? { createdAt: p.cursorCreatedAt, id: p.cursorId } : null;
    const qb = filterLeads(this.select(), 'l', p.entityId, filters);
    return `${orderByKeyset(qb, 'l', cursor).getQuery()} LIMIT :limit`;
  });

  constructor(@InjectDataSource() dataSource: DataSource, clock: Clock) {
    super(dataSource, clock);
  }

  /** One INSERT, nothing read back (id and timestamps are ours). */
  async insertLead(entityId: string, values: Omit<NewLead, 'entityId'>): Promise<LeadRow> {
    const row: LeadRow = { ...this.stamp(), ...values, entityId, version: 1 };
    await this.insert.execute(row);
    return row;
  }

  async findOneInEntity(
    entityId: string,
    id: string,
    options?: QueryOptions,
  ): Promise<LeadRow | null> {
    const [raw] = await this.byId.rows({ entityId, id }, options);
    return raw ? toLeadRow(raw) : null;
  }

  /** One keyset page (limit+1 rows, newest first) of the entity's leads matching the filters. */
  async findPage(
    entityId: string,
    filters: LeadFilters,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<LeadRow[]> {
    if (filters.search) {
      if (this.postgres) {
        return new PostgresLeadSearch(this.dataSource.manager).page(
          entityId,
          filters,
          limit,
          cursor,
        );
      }
      const qb = filterLeads(this.select(), 'l', entityId, filters);
      return (await applyKeyset(qb, 'l', cursor, limit).getRawMany()).map(toLeadRow);
    }
    const { status, createdFrom, createdTo } = filters;
    const raws = await this.page.rows({
      entityId,
      status,
      createdFrom,
      createdTo,
      ...keysetParameters(cursor),
      limit: limit + 1,
    });
    return raws.map(toLeadRow);
  }

  /** A numbered page (OFFSET; callers bound page × limit) and the total matching. */
  async findNumberedPage(
    entityId: string,
    filters: LeadFilters,
    page: number,
    limit: number,
  ): Promise<{ rows: LeadRow[]; total: number; totalIsEstimate: boolean }> {
    const offset = (page - 1) * limit;
    // Counting stops at COUNT_CAP + 1 matches: a common search fragment over a big tenant
    // would otherwise count every match (0.3-0.6 s at 300k leads) on every page.
    const [matchSql, matchParams] = filterLeads(
      this.dataSource.getRepository(Lead).createQueryBuilder('l').select('1', 'one'),
      'l',
      entityId,
      filters,
    )
      .limit(COUNT_CAP + 1)
      .getQueryAndParameters();
    const count = this.dataSource
      .query(`SELECT COUNT(*) AS "n" FROM (${matchSql}) "capped"`, matchParams)
      .then((raws: Array<{ n: unknown }>) => Number(raws[0]?.n ?? 0));
    const rows =
      filters.search && this.postgres
        ? new PostgresLeadSearch(this.dataSource.manager).numberedPage(
            entityId,
            filters,
            limit,
            offset,
          )
        : filterLeads(this.select(), 'l', entityId, filters)
            .orderBy('l.created_at', 'DESC')
            .addOrderBy('l.id', 'DESC')
            .offset(offset)
            .limit(limit)
            .getRawMany()
            .then((raws) => raws.map(toLeadRow));
    // Count and page in parallel (two pool connections on PostgreSQL).
    const [counted, pageRows] = await Promise.all([count, rows]);
    return {
      rows: pageRows,
      total: Math.min(counted, COUNT_CAP),
      totalIsEstimate: counted > COUNT_CAP,
    };
  }

  /**
   * Sets the status only if it still is `from` (so two concurrent changes cannot both
   * apply their reading of the old state) and the version is one `expected` admits; false
   * when nothing matched. Every UPDATE of a Lead bumps `version` (VersionedEntity).
   */
  async updateStatus(
    entityId: string,
    id: string,
    from: LeadStatus,
    to: LeadStatus,
    reachedOutAt: Date | null,
    extra: LeadChanges = {},
    expected?: VersionCondition,
  ): Promise<boolean> {
    const qb = this.dataSource
      .createQueryBuilder()
      .update(Lead)
      .set({ ...extra, status: to, reachedOutAt, updatedAt: this.clock.now() })
      .where('entity_id = :entityId AND id = :id AND status = :from', { entityId, id, from });
    const result = await whereVersion(qb, expected).execute();
    return (result.affected ?? 0) > 0;
  }

  /** Field changes (no status change); false when the lead is not in this entity or not at an `expected` version. */
  async updateFields(
    entityId: string,
    id: string,
    changes: LeadChanges,
    expected?: VersionCondition,
  ): Promise<boolean> {
    const qb = this.dataSource
      .createQueryBuilder()
      .update(Lead)
      .set({ ...changes, updatedAt: this.clock.now() })
      .where('entity_id = :entityId AND id = :id', { entityId, id });
    const result = await whereVersion(qb, expected).execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Deletes the row if it is at an `expected` version; its storage key (for the caller to
   * remove the file), `{ stale: version }` when it is at another one, or undefined when there
   * was no such lead.
   */
  async deleteLead(
    entityId: string,
    id: string,
    expected?: VersionCondition,
  ): Promise<{ resumePath: string | null } | { stale: number } | undefined> {
    const found = await this.findOneInEntity(entityId, id, { primary: true });
    if (!found) return undefined;
    const qb = this.dataSource
      .createQueryBuilder()
      .delete()
      .from(Lead)
      .where('entity_id = :entityId AND id = :id', { entityId, id });
    const result = await whereVersion(qb, expected).execute();
    if ((result.affected ?? 0) > 0) return { resumePath: found.resumePath };
    // A concurrent delete won (it removes the file), or the lead is at another version.
    const current = await this.findOneInEntity(entityId, id, { primary: true });
    return current ? { stale: current.version } : undefined;
  }

  /**
   * Clears the resume columns of up to `limit` of the entity's leads that have one; their
   * storage keys (for the caller to remove the files). A lead deleted meanwhile removes its
   * own file, so a key may already be gone.
   */
  async detachResumes(entityId: string, limit: number): Promise<string[]> {
    const rows = await this.dataSource
      .getRepository(Lead)
      .createQueryBuilder('l')
      .select('l.id', 'id')
      .addSelect('l.resume_path', 'resumePath')
      .where('l.entity_id = :entityId AND l.resume_path IS NOT NULL', { entityId })
      .limit(limit)
      .getRawMany<{ id: string; resumePath: string }>();
    if (rows.length === 0) return [];
    await this.dataSource
      .createQueryBuilder()
      .update(Lead)
      .set({
        resumePath: null,
        resumeContentType: null,
        resumeSize: null,
        resumeFileName: null,
        updatedAt: this.clock.now(),
      })
      .where('entity_id = :entityId AND id IN (:...ids)', {
        entityId,
        ids: rows.map((r) => r.id),
      })
      .execute();
    return rows.map((r) => r.resumePath);
  }

  /** Counts per status and the leads reached out to since `since`, in one pass. */
  async countByStatus(
    entityId: string,
    since: Date,
  ): Promise<{ byStatus: Record<LeadStatus, number>; reachedOutSince: number }> {
    const raws = await this.dataSource
      .getRepository(Lead)
      .createQueryBuilder('l')
      .select('l.status', 'status')
      .addSelect('COUNT(*)', 'n')
      .addSelect('SUM(CASE WHEN l.reached_out_at >= :since THEN 1 ELSE 0 END)', 'recent')
      .where('l.entity_id = :entityId', { entityId })
      .setParameter('since', since)
      .groupBy('l.status')
      .getRawMany<{ status: LeadStatus; n: unknown; recent: unknown }>();
    const byStatus = Object.fromEntries(LEAD_STATUSES.map((s) => [s, 0])) as Record<
      LeadStatus,
      number
    >;
    let reachedOutSince = 0;
    for (const raw of raws) {
      byStatus[raw.status] = Number(raw.n);
      reachedOutSince += Number(raw.recent ?? 0);
    }
    return { byStatus, reachedOutSince };
  }

  private select(): SelectQueryBuilder<Lead> {
    return selectLeadColumns(this.dataSource.getRepository(Lead).createQueryBuilder('l'), 'l');
  }
}
