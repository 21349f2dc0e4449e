import { ObjectLiteral, WhereExpressionBuilder } from 'typeorm';
import { VersionCondition } from '../common/http/etag';

/**
 * `AND version IN (…)` for raw SQL with `:named` parameters (src/database/raw-sql.ts): makes an
 * UPDATE or DELETE of a versioned row conditional on the versions If-Match names, in the same
 * statement as the write (so of two concurrent writers with one tag, exactly one matches). No
 * condition → no clause; an empty one matches nothing.
 */
export function versionClause(
  condition: VersionCondition,
  column = 'version',
): { sql: string; params: ObjectLiteral } {
  if (condition === undefined) return { sql: '', params: {} };
  if (condition.length === 0) return { sql: ' AND 1 = 0', params: {} };
  return {
    sql: ` AND ${column} IN (:...expectedVersions)`,
    params: { expectedVersions: [...condition] },
  };
}

/** The same condition on a query builder. */
export function whereVersion<T extends WhereExpressionBuilder>(
  qb: T,
  condition: VersionCondition,
  column = 'version',
): T {
  const clause = versionClause(condition, column);
  return clause.sql ? (qb.andWhere(clause.sql.slice(' AND '.length), clause.params) as T) : qb;
}
