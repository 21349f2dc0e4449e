import { WhereExpressionBuilder } from 'typeorm';
import { VersionCondition } from '../common/http/etag';

/**
 * `AND version IN (…)`: makes an UPDATE or DELETE of a versioned row conditional on the
 * versions If-Match names, in the same statement as the write (so of two concurrent writers
 * with one tag, exactly one matches). No condition → unchanged; an empty one matches nothing.
 */
export function whereVersion<T extends WhereExpressionBuilder>(
  qb: T,
  condition: VersionCondition,
  column = 'version',
): T {
  if (condition === undefined) return qb;
  if (condition.length === 0) return qb.andWhere('1 = 0') as T;
  return qb.andWhere(`${column} IN (:...expectedVersions)`, {
    expectedVersions: [...condition],
  }) as T;
}
