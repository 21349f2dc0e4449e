import { EntityManager } from 'typeorm';
import { CursorPosition } from '../common/pagination/pagination';
import { afterKeyset, applyKeyset } from '../database/keyset';
import { likeContains } from '../database/like';
import { filterLeads, LeadFilters, LeadRow, selectLeadColumns, toLeadRow } from './lead-row';
import { Lead } from './lead.entity';

/**
 * Rows scanned newest-first before a PostgreSQL search falls back to the trigram path:
 * a fragment with ≥ limit+1 matches among the newest rows is answered by walking the
 * (entity_id, created_at) index; a rarer one by the GIN bitmap.
 */
export const SEARCH_WINDOW = 2_000;

/**
 * Lead search on PostgreSQL, shaped so neither plan can go badly wrong whatever the
 * statistics say (bench/README.md records the plans); SQLite searches with the plain filters.
 */
export class PostgresLeadSearch {
  constructor(private readonly manager: EntityManager) {}

  /**
   * One keyset page (limit+1 rows):
   * 1. walk the newest SEARCH_WINDOW rows (after the cursor) by the keyset index and filter
   *    them — a common fragment fills the page here in a few ms;
   * 2. otherwise collect every match through the trigram GIN bitmap in a MATERIALIZED CTE
   *    (the planner cannot turn it into an index walk), then sort the few matches.
   */
  async page(
    entityId: string,
    filters: LeadFilters,
    limit: number,
    cursor: CursorPosition | null,
  ): Promise<LeadRow[]> {
    const { search, ...rest } = filters;
    const windowQb = applyKeyset(
      filterLeads(this.select(), 'l', entityId, rest),
      'l',
      cursor,
      SEARCH_WINDOW - 1,
    );
    const [windowSql, windowParams] = windowQb.getQueryAndParameters();
    const n = windowParams.length + 1;
    const recent: Record<string, unknown>[] = await this.manager.query(
      `SELECT * FROM (${windowSql}) w
        WHERE lower(w."firstName") LIKE $${n} ESCAPE '\\' OR lower(w."lastName") LIKE $${n} ESCAPE '\\' OR w."email" LIKE $${n} ESCAPE '\\'
        ORDER BY w."createdAt" DESC, w."id" DESC LIMIT ${limit + 1}`,
      [...windowParams, likeContains(search!)],
    );
    if (recent.length > limit) return recent.map(toLeadRow);

    // The cursor condition without the keyset order: sorting happens after the CTE.
    const matches = afterKeyset(filterLeads(this.select(), 'l', entityId, filters), 'l', cursor);
    return this.sortedMatches(matches.getQueryAndParameters(), limit + 1, 0);
  }

  /** A numbered page: matches first (trigram bitmap), then order — never an index walk hunting for rare matches. */
  numberedPage(
    entityId: string,
    filters: LeadFilters,
    limit: number,
    offset: number,
  ): Promise<LeadRow[]> {
    const matches = filterLeads(this.select(), 'l', entityId, filters);
    return this.sortedMatches(matches.getQueryAndParameters(), limit, offset);
  }

  private async sortedMatches(
    [sql, params]: [string, unknown[]],
    limit: number,
    offset: number,
  ): Promise<LeadRow[]> {
    const rows: Record<string, unknown>[] = await this.manager.query(
      `WITH m AS MATERIALIZED (${sql}) SELECT * FROM m ORDER BY "createdAt" DESC, "id" DESC LIMIT ${limit}${offset > 0 ? ` OFFSET ${offset}` : ''}`,
      params,
    );
    return rows.map(toLeadRow);
  }

  private select() {
    return selectLeadColumns(this.manager.getRepository(Lead).createQueryBuilder('l'), 'l');
  }
}
