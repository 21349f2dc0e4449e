import { EntityManager, ObjectLiteral, QueryResult } from 'typeorm';

/**
 * Raw SQL with `:named` parameters on either database, for the statements the QueryBuilder
 * cannot express (UPDATE … RETURNING with a correlated limit, data-modifying CTEs, SKIP LOCKED).
 * Always the structured result, so an UPDATE … RETURNING gives its rows on both drivers
 * (TypeORM's plain `query()` answers `[rows, count]` for UPDATE on PostgreSQL).
 */
export async function queryRows<T = Record<string, unknown>>(
  manager: EntityManager,
  sql: string,
  params: ObjectLiteral = {},
): Promise<T[]> {
  return ((await structured(manager, sql, params)).records as T[] | undefined) ?? [];
}

/** Runs a statement for its effect; the number of rows it changed. */
export async function execute(
  manager: EntityManager,
  sql: string,
  params: ObjectLiteral = {},
): Promise<number> {
  return (await structured(manager, sql, params)).affected ?? 0;
}

/** As EntityManager.query does (the manager's runner, or one borrowed for the call), but structured. */
async function structured(
  manager: EntityManager,
  sql: string,
  params: ObjectLiteral,
): Promise<QueryResult> {
  const [text, values] = manager.connection.driver.escapeQueryWithParameters(sql, params);
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    return (await runner.query(text, values, true)) as QueryResult;
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}

/**
 * The rows of a multi-row `VALUES` list as `:named` parameters, for raw statements over many rows
 * (a multi-row INSERT, `UPDATE … FROM (VALUES …)`): `sql` is `(:v0_0, :v0_1), (:v1_0, :v1_1)`,
 * `params` their values. The names start with `v<row>_`, so the statement's own parameters may sit
 * beside them.
 */
export function valueRows(rows: readonly (readonly unknown[])[]): {
  sql: string;
  params: Record<string, unknown>;
} {
  const params: Record<string, unknown> = {};
  const tuples = rows.map((row, r) => {
    const names = row.map((value, c) => {
      params[`v${r}_${c}`] = value;
      return `:v${r}_${c}`;
    });
    return `(${names.join(', ')})`;
  });
  return { sql: tuples.join(', '), params };
}

/** A JSON column as the driver hands it back: parsed on PostgreSQL (jsonb), text on SQLite. */
export function fromJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** Booleans come back as 0/1 from SQLite. */
export function toBool(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't';
}
