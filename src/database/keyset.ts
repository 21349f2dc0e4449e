import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { CursorPosition } from '../common/pagination/pagination';

/**
 * Newest-first keyset paging on (created_at, id). A row-value comparison works on both
 * PostgreSQL and SQLite and walks the (…, created_at desc, id) indexes at any depth.
 * Fetches limit+1 rows so the caller knows whether there is a next page.
 */
export function applyKeyset<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  position: CursorPosition | null,
  limit: number,
): SelectQueryBuilder<T> {
  if (position) {
    qb.andWhere(`(${alias}.created_at, ${alias}.id) < (:cursorCreatedAt, :cursorId)`, {
      cursorCreatedAt: position.createdAt,
      cursorId: position.id,
    });
  }
  return qb.orderBy(`${alias}.created_at`, 'DESC').addOrderBy(`${alias}.id`, 'DESC').limit(limit + 1);
}
