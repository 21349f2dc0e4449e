import { DataSource, ObjectLiteral, QueryFailedError } from 'typeorm';

interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

interface PgDriverPools {
  master: PgPool;
  slaves: PgPool[];
}

/**
 * Hot-path statements whose SQL is built once and then only run with parameters.
 *
 * Building SQL through the QueryBuilder on every request, and PostgreSQL parsing and planning
 * it again each time, were ~13% of the CPU of a lead read (bench/README.md). Here each
 * statement is built the first time its name is used (by the caller, usually with the
 * QueryBuilder, keeping `:named` parameters), then:
 * - PostgreSQL: sent as a named prepared statement straight to TypeORM's pg pool — parsed
 *   and planned once per pooled connection; reads go to a replica unless `primary`;
 * - SQLite: through TypeORM, whose better-sqlite3 driver caches prepared statements.
 * Parameters are converted by TypeORM's driver exactly as for any QueryBuilder query, and a
 * failure is the same QueryFailedError, so error translation is unchanged.
 *
 * Not for statements inside a transaction (they run on their own pooled connection), nor
 * for `:...list` parameters (the SQL text must be the same on every run of a name).
 */
export class PreparedQueries {
  private readonly sql = new Map<string, string>();
  private readonly pools: PgDriverPools | null;

  constructor(private readonly dataSource: DataSource) {
    this.pools =
      dataSource.options.type === 'postgres' ? (dataSource.driver as unknown as PgDriverPools) : null;
  }

  /** Rows of the statement `name`; `build` gives its SQL with `:named` parameters, once. */
  async rows<T = Record<string, unknown>>(
    name: string,
    build: () => string,
    params: ObjectLiteral,
    options: { primary?: boolean } = {},
  ): Promise<T[]> {
    let named = this.sql.get(name);
    if (named === undefined) {
      named = build();
      this.sql.set(name, named);
    }
    const [text, values] = this.dataSource.driver.escapeQueryWithParameters(named, params);
    if (!this.pools) return this.dataSource.query(text, values);
    const { master, slaves } = this.pools;
    const pool =
      options.primary || slaves.length === 0
        ? master
        : slaves[Math.floor(Math.random() * slaves.length)];
    try {
      return (await pool.query({ name, text, values })).rows as T[];
    } catch (error) {
      this.dataSource.logger.logQueryError(error as Error, text, values);
      throw new QueryFailedError(text, values, error as Error);
    }
  }

  /** A statement run for its effect (INSERT, UPDATE), always on the primary. */
  async execute(name: string, build: () => string, params: ObjectLiteral): Promise<void> {
    await this.rows(name, build, params, { primary: true });
  }
}
