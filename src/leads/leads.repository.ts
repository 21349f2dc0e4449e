import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, Repository, SelectQueryBuilder } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { CursorPosition } from '../common/pagination/pagination';
import { afterKeyset, applyKeyset, keysetParameters, orderByKeyset } from '../database/keyset';
import { onPrimary } from '../database/on-primary';
import { likeContains } from '../database/like';
import { PreparedQueries } from '../database/prepared-queries';
import { Lead, LEAD_STATUSES, LeadStatus } from './lead.entity';

/** A lead row as the queries return it (plain object, no entity hydration). */
export interface LeadRow {
  id: string;
  entityId: string;
  firstName: string;
  lastName: string;
  email: string;
  resumePath: string | null;
  resumeContentType: string | null;
  resumeSize: number | null;
  resumeFileName: string | null;
  status: LeadStatus;
  reachedOutAt: Date | null;
  notes: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewLead = Omit<LeadRow, 'createdAt' | 'updatedAt' | 'id'> & { id: string };

export interface LeadFilters {
  status?: LeadStatus;
  search?: string;
  createdFrom?: Date;
  createdTo?: Date;
}

export type LeadChanges = Partial<
  Pick<LeadRow, 'firstName' | 'lastName' | 'email' | 'notes' | 'status' | 'reachedOutAt'>
>;

/** Column → property, in the order the API shows them. */
const COLUMNS: Array<[string, keyof LeadRow]> = [
  ['id', 'id'],
  ['entity_id', 'entityId'],
  ['first_name', 'firstName'],
  ['last_name', 'lastName'],
  ['email', 'email'],
  ['resume_path', 'resumePath'],
  ['resume_content_type', 'resumeContentType'],
  ['resume_size', 'resumeSize'],
  ['resume_file_name', 'resumeFileName'],
  ['status', 'status'],
  ['reached_out_at', 'reachedOutAt'],
  ['notes', 'notes'],
  ['created_at', 'createdAt'],
  ['updated_at', 'updatedAt'],
];

/**
 * Rows scanned newest-first before a PostgreSQL search falls back to the trigram path:
 * a fragment with ≥ limit+1 matches among the newest rows is answered by walking the
 * (entity_id, created_at) index; a rarer one by the GIN bitmap (see findPage).
 */
export const SEARCH_WINDOW = 2_000;

/** The one INSERT of a lead: every column, as named parameters. */
const INSERT_LEAD = `INSERT INTO "leads" (${COLUMNS.map(([c]) => `"${c}"`).join(', ')}) VALUES (${COLUMNS.map(([, p]) => `:${p}`).join(', ')})`;

/** Secondary indexes a bulk load may drop and rebuild (same definitions as the Leads migration). */
const BULK_LOAD_INDEXES: Record<string, string> = {
  ix_leads_entity_created: `CREATE INDEX IF NOT EXISTS "ix_leads_entity_created" ON "leads" ("entity_id", "created_at", "id")`,
  ix_leads_entity_status_created: `CREATE INDEX IF NOT EXISTS "ix_leads_entity_status_created" ON "leads" ("entity_id", "status", "created_at", "id")`,
  ix_leads_first_name_trgm: `CREATE INDEX IF NOT EXISTS "ix_leads_first_name_trgm" ON "leads" USING gin (lower("first_name") gin_trgm_ops)`,
  ix_leads_last_name_trgm: `CREATE INDEX IF NOT EXISTS "ix_leads_last_name_trgm" ON "leads" USING gin (lower("last_name") gin_trgm_ops)`,
  ix_leads_email_trgm: `CREATE INDEX IF NOT EXISTS "ix_leads_email_trgm" ON "leads" USING gin ("email" gin_trgm_ops)`,
};

/** SQLite hands back datetime text (UTC, "YYYY-MM-DD HH:MM:SS.SSS"); PostgreSQL a Date. */
function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}

function toRow(raw: Record<string, unknown>): LeadRow {
  return {
    id: raw.id as string,
    entityId: raw.entityId as string,
    firstName: raw.firstName as string,
    lastName: raw.lastName as string,
    email: raw.email as string,
    resumePath: (raw.resumePath as string | null) ?? null,
    resumeContentType: (raw.resumeContentType as string | null) ?? null,
    resumeSize:
      raw.resumeSize === null || raw.resumeSize === undefined ? null : Number(raw.resumeSize),
    resumeFileName: (raw.resumeFileName as string | null) ?? null,
    status: raw.status as LeadStatus,
    reachedOutAt: toDate(raw.reachedOutAt),
    notes: (raw.notes as string | null) ?? null,
    createdAt: toDate(raw.createdAt)!,
    updatedAt: toDate(raw.updatedAt)!,
  };
}

/**
 * Every query of the leads module, named after its use case; every method takes the
 * entity id, so no query can reach another tenant's rows. Hot paths select columns and
 * map raw rows (no entity hydration); writes are single statements.
 */
@Injectable()
export class LeadRepository {
  private readonly postgres: boolean;
  /** The hot paths (insert, by id, list pages without search): built once, prepared on PostgreSQL. */
  private readonly prepared: PreparedQueries;

  // Not a BaseRepository: its findById/findPage/update/delete take no tenant, and every
  // query here must. Same building blocks (clock-set ids and timestamps, applyKeyset).
  constructor(
    @InjectRepository(Lead) private readonly repo: Repository<Lead>,
    private readonly clock: Clock,
  ) {
    this.postgres = repo.manager.connection.options.type === 'postgres';
    this.prepared = new PreparedQueries(repo.manager.connection);
  }

  /** One INSERT, nothing read back (id and timestamps are ours). */
  async insertLead(values: NewLead): Promise<LeadRow> {
    const now = this.clock.now();
    const row: LeadRow = { ...values, createdAt: now, updatedAt: now };
    await this.prepared.execute('leads_insert', () => INSERT_LEAD, row);
    return row;
  }

  /**
   * One lead of the entity. `primary`: read on the primary even with read replicas — for
   * reads that decide a write (the status rule) or read one back (PATCH answers the new state).
   */
  async findOneInEntity(
    entityId: string,
    id: string,
    options: { primary?: boolean } = {},
  ): Promise<LeadRow | null> {
    const [raw] = await this.prepared.rows(
      'leads_by_id',
      () => this.select('l').where('l.entity_id = :entityId AND l.id = :id').getQuery(),
      { entityId, id },
      options,
    );
    return raw ? toRow(raw) : null;
  }

  async findByEmail(entityId: string, email: string): Promise<LeadRow | null> {
    const raw = await this.select('l')
      .where('l.entity_id = :entityId AND l.email = :email', {
        entityId,
        email: email.toLowerCase(),
      })
      .getRawOne();
    return raw ? toRow(raw) : null;
  }

  /** One keyset page (limit+1 rows, newest first) of the entity's leads matching the filters. */
  async findPage(
    entityId: string,
    filters: LeadFilters,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<LeadRow[]> {
    if (filters.search) {
      if (this.postgres) return this.searchPagePostgres(entityId, filters, limit, cursor);
      const qb = this.filtered(this.select('l'), 'l', entityId, filters);
      return (await applyKeyset(qb, 'l', cursor, limit).getRawMany()).map(toRow);
    }
    // One statement per combination of filters present (at most 16), limit as a parameter.
    const shape = [
      filters.status && 's',
      filters.createdFrom && 'f',
      filters.createdTo && 't',
      cursor && 'c',
    ];
    const raws = await this.prepared.rows(
      `leads_page_${shape.filter(Boolean).join('')}`,
      () => {
        const qb = this.filtered(this.select('l'), 'l', entityId, filters);
        return `${orderByKeyset(qb, 'l', cursor).getQuery()} LIMIT :limit`;
      },
      { entityId, ...filters, ...keysetParameters(cursor), limit: limit + 1 },
    );
    return raws.map(toRow);
  }

  findByStatus(
    entityId: string,
    status: LeadStatus,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<LeadRow[]> {
    return this.findPage(entityId, { status }, limit, cursor);
  }

  /** Leads created since `since`, newest first (limit+1 rows). */
  findRecent(
    entityId: string,
    since: Date,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<LeadRow[]> {
    return this.findPage(entityId, { createdFrom: since }, limit, cursor);
  }

  /** A numbered page (OFFSET; callers bound page × limit) and the total matching. */
  async findNumberedPage(
    entityId: string,
    filters: LeadFilters,
    page: number,
    limit: number,
  ): Promise<{ rows: LeadRow[]; total: number }> {
    const offset = (page - 1) * limit;
    const countQb = this.filtered(
      this.repo.createQueryBuilder('l').select('COUNT(*)', 'n'),
      'l',
      entityId,
      filters,
    );
    const qb = this.filtered(this.select('l'), 'l', entityId, filters);
    let rows: Promise<Record<string, unknown>[]>;
    if (filters.search && this.postgres) {
      // Matches first (trigram bitmap), then order: never an index walk hunting for rare matches.
      const [sql, params] = qb.getQueryAndParameters();
      rows = this.repo.query(
        `WITH m AS MATERIALIZED (${sql}) SELECT * FROM m ORDER BY "createdAt" DESC, "id" DESC LIMIT ${limit} OFFSET ${offset}`,
        params,
      );
    } else {
      rows = qb
        .orderBy('l.created_at', 'DESC')
        .addOrderBy('l.id', 'DESC')
        .offset(offset)
        .limit(limit)
        .getRawMany();
    }
    // Count and page in parallel (two pool connections on PostgreSQL).
    const [counted, raws] = await Promise.all([countQb.getRawOne(), rows]);
    return { rows: raws.map(toRow), total: Number(counted?.n ?? 0) };
  }

  /**
   * Sets the status only if it still is `from` (so two concurrent changes cannot both
   * apply their reading of the old state); false when nothing matched.
   */
  async updateStatus(
    entityId: string,
    id: string,
    from: LeadStatus,
    to: LeadStatus,
    reachedOutAt: Date | null,
    extra: LeadChanges = {},
  ): Promise<boolean> {
    const result = await this.repo
      .createQueryBuilder()
      .update(Lead)
      .set({ ...extra, status: to, reachedOutAt, updatedAt: this.clock.now() })
      .where('entity_id = :entityId AND id = :id AND status = :from', { entityId, id, from })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** Field changes (no status change); false when the lead is not in this entity. */
  async updateFields(entityId: string, id: string, changes: LeadChanges): Promise<boolean> {
    const result = await this.repo
      .createQueryBuilder()
      .update(Lead)
      .set({ ...changes, updatedAt: this.clock.now() })
      .where('entity_id = :entityId AND id = :id', { entityId, id })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** Deletes the row; its storage key (for the caller to remove the file), or undefined when there was no such lead. */
  async deleteLead(
    entityId: string,
    id: string,
  ): Promise<{ resumePath: string | null } | undefined> {
    const found = await onPrimary(this.repo.manager.connection, (m) =>
      m
        .getRepository(Lead)
        .createQueryBuilder('l')
        .select('l.resume_path', 'resumePath')
        .where('l.entity_id = :entityId AND l.id = :id', { entityId, id })
        .getRawOne<{ resumePath: string | null }>(),
    );
    if (!found) return undefined;
    const result = await this.repo
      .createQueryBuilder()
      .delete()
      .from(Lead)
      .where('entity_id = :entityId AND id = :id', { entityId, id })
      .execute();
    // A concurrent delete won: it removes the file.
    return (result.affected ?? 0) > 0 ? { resumePath: found.resumePath ?? null } : undefined;
  }

  /** Counts per status and the leads reached out to since `since`, in one pass. */
  async countByStatus(
    entityId: string,
    since: Date,
  ): Promise<{ byStatus: Record<LeadStatus, number>; reachedOutSince: number }> {
    const raws = await this.repo
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

  /**
   * Bulk load (seed-demo): one statement per batch. PostgreSQL: INSERT … SELECT FROM
   * unnest(arrays) — 14 parameters whatever the batch size; SQLite: multi-row VALUES.
   */
  async insertBatch(rows: LeadRow[]): Promise<void> {
    if (rows.length === 0) return;
    if (!this.postgres) {
      for (let i = 0; i < rows.length; i += 500) {
        await this.repo
          .createQueryBuilder()
          .insert()
          .into(Lead)
          .values(rows.slice(i, i + 500))
          .updateEntity(false)
          .execute();
      }
      return;
    }
    const column = <K extends keyof LeadRow>(key: K) => rows.map((r) => r[key]);
    await this.repo.query(
      `INSERT INTO leads (id, entity_id, first_name, last_name, email, resume_path, resume_content_type, resume_size,
         resume_file_name, status, reached_out_at, notes, created_at, updated_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[],
         $7::varchar[], $8::int[], $9::varchar[], $10::varchar[], $11::timestamptz[], $12::varchar[],
         $13::timestamptz[], $14::timestamptz[])`,
      [
        column('id'),
        column('entityId'),
        column('firstName'),
        column('lastName'),
        column('email'),
        column('resumePath'),
        column('resumeContentType'),
        column('resumeSize'),
        column('resumeFileName'),
        column('status'),
        rows.map((r) => r.reachedOutAt?.toISOString() ?? null),
        column('notes'),
        rows.map((r) => r.createdAt.toISOString()),
        rows.map((r) => r.updatedAt.toISOString()),
      ],
    );
  }

  /**
   * Bulk loads (seed-demo, PostgreSQL): drop the secondary indexes that are far cheaper to
   * build once, sorted, than to maintain row by row (the trigram GINs above all), and
   * build them again afterwards. The definitions are those of the Leads migration.
   * Returns the names dropped; the PK and the (entity_id, email) unique constraint stay.
   */
  async dropBulkLoadIndexes(): Promise<string[]> {
    if (!this.postgres) return [];
    const existing: Array<{ name: string }> = await this.repo.query(
      `SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'leads' AND indexname = ANY($1)`,
      [Object.keys(BULK_LOAD_INDEXES)],
    );
    for (const { name } of existing) await this.repo.query(`DROP INDEX IF EXISTS "${name}"`);
    return existing.map((e) => e.name);
  }

  /** Builds the named indexes (IF NOT EXISTS, generous maintenance_work_mem), then ANALYZE. */
  async createBulkLoadIndexes(names: string[]): Promise<void> {
    if (!this.postgres) return;
    const runner = this.repo.manager.connection.createQueryRunner();
    try {
      // Straight on the pg client: index builds outlast the pool's per-query timeouts.
      const client = (await runner.connect()) as {
        query: (q: { text: string; query_timeout: number }) => Promise<unknown>;
      };
      const run = (text: string) => client.query({ text, query_timeout: 60 * 60 * 1000 });
      await run(`SET maintenance_work_mem = '256MB'`);
      await run('SET statement_timeout = 0');
      for (const name of names) if (BULK_LOAD_INDEXES[name]) await run(BULK_LOAD_INDEXES[name]);
      await run('ANALYZE leads');
      await run('RESET statement_timeout');
      await run('RESET maintenance_work_mem');
    } finally {
      await runner.release();
    }
  }

  // ---- building blocks ----

  private select(alias: string): SelectQueryBuilder<Lead> {
    const qb = this.repo
      .createQueryBuilder(alias)
      .select(`${alias}.${COLUMNS[0][0]}`, COLUMNS[0][1]);
    for (const [column, property] of COLUMNS.slice(1)) qb.addSelect(`${alias}.${column}`, property);
    return qb;
  }

  private filtered<T extends SelectQueryBuilder<Lead>>(
    qb: T,
    alias: string,
    entityId: string,
    f: LeadFilters,
  ): T {
    qb.where(`${alias}.entity_id = :entityId`, { entityId });
    if (f.status) qb.andWhere(`${alias}.status = :status`, { status: f.status });
    if (f.createdFrom)
      qb.andWhere(`${alias}.created_at >= :createdFrom`, { createdFrom: f.createdFrom });
    if (f.createdTo) qb.andWhere(`${alias}.created_at < :createdTo`, { createdTo: f.createdTo });
    if (f.search) this.matchSearch(qb, alias, f.search);
    return qb;
  }

  /** lower(column) LIKE '%fragment%' on the three columns: the trigram indexes' expressions on PostgreSQL. */
  private matchSearch(qb: SelectQueryBuilder<Lead>, alias: string, search: string): void {
    qb.andWhere(
      new Brackets((or) => {
        or.where(`lower(${alias}.first_name) LIKE :pattern ESCAPE '\\'`)
          .orWhere(`lower(${alias}.last_name) LIKE :pattern ESCAPE '\\'`)
          .orWhere(`${alias}.email LIKE :pattern ESCAPE '\\'`);
      }),
      { pattern: likeContains(search) },
    );
  }

  /**
   * Search on PostgreSQL, shaped so neither plan can go badly wrong whatever the
   * statistics say (PERFORMANCE.md, plan instability):
   * 1. walk the newest SEARCH_WINDOW rows (after the cursor) by the keyset index and filter
   *    them — a common fragment fills the page here in a few ms;
   * 2. otherwise collect every match through the trigram GIN bitmap in a MATERIALIZED CTE
   *    (the planner cannot turn it into an index walk), then sort the few matches.
   */
  private async searchPagePostgres(
    entityId: string,
    filters: LeadFilters,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<LeadRow[]> {
    const { search, ...rest } = filters;
    const windowQb = applyKeyset(
      this.filtered(this.select('l'), 'l', entityId, rest),
      'l',
      cursor,
      SEARCH_WINDOW - 1,
    );
    const [windowSql, windowParams] = windowQb.getQueryAndParameters();
    const pattern = likeContains(search!);
    const n = windowParams.length + 1;
    const recent: Record<string, unknown>[] = await this.repo.query(
      `SELECT * FROM (${windowSql}) w
        WHERE lower(w."firstName") LIKE $${n} ESCAPE '\\' OR lower(w."lastName") LIKE $${n} ESCAPE '\\' OR w."email" LIKE $${n} ESCAPE '\\'
        ORDER BY w."createdAt" DESC, w."id" DESC LIMIT ${limit + 1}`,
      [...windowParams, pattern],
    );
    if (recent.length > limit) return recent.map(toRow);

    // The cursor condition without the keyset order: sorting happens after the CTE.
    const matchesQb = afterKeyset(
      this.filtered(this.select('l'), 'l', entityId, filters),
      'l',
      cursor,
    );
    const [sql, params] = matchesQb.getQueryAndParameters();
    const rows: Record<string, unknown>[] = await this.repo.query(
      `WITH m AS MATERIALIZED (${sql}) SELECT * FROM m ORDER BY "createdAt" DESC, "id" DESC LIMIT ${limit + 1}`,
      params,
    );
    return rows.map(toRow);
  }
}
