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
  return orderByKeyset(qb, alias, position).limit(limit + 1);
}

/**
 * The keyset condition (parameters `:cursorCreatedAt`, `:cursorId`; see keysetParameters)
 * and order, without the limit: for statements built once (PreparedQueries) that take the
 * limit as a parameter.
 */
export function orderByKeyset<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  position: CursorPosition | null,
): SelectQueryBuilder<T> {
  return afterKeyset(qb, alias, position)
    .orderBy(`${alias}.created_at`, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC');
}

/** Only the rows after the cursor position (no order, no limit); nothing when there is no cursor. */
export function afterKeyset<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  position: CursorPosition | null,
): SelectQueryBuilder<T> {
  if (position) {
    qb.andWhere(
      `(${alias}.created_at, ${alias}.id) < (:cursorCreatedAt, :cursorId)`,
      keysetParameters(position),
    );
  }
  return qb;
}

export function keysetParameters(position: CursorPosition | null): ObjectLiteral {
  return position ? { cursorCreatedAt: position.createdAt, cursorId: position.id } : {};
}
