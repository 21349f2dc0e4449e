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
  /** SQLite: the SQL with `:named` parameters, escaped on every run (the driver converts values). */
  private readonly namedSql = new Map<string, string>();
  /** PostgreSQL: the `$n` SQL and the parameter name of each `$n`, worked out on the first run. */
  private readonly postgresSql = new Map<string, { text: string; order: string[] }>();
  private readonly pools: PgDriverPools | null;

  constructor(private readonly dataSource: DataSource) {
    this.pools =
      dataSource.options.type === 'postgres'
        ? (dataSource.driver as unknown as PgDriverPools)
        : null;
  }

  /** Rows of the statement `name`; `build` gives its SQL with `:named` parameters, once. */
  async rows<T = Record<string, unknown>>(
    name: string,
    build: () => string,
    params: ObjectLiteral,
    options: { primary?: boolean } = {},
  ): Promise<T[]> {
    if (!this.pools) {
      let named = this.namedSql.get(name);
      if (named === undefined) this.namedSql.set(name, (named = build()));
      const [text, values] = this.dataSource.driver.escapeQueryWithParameters(named, params);
      return this.dataSource.query(text, values);
    }
    let statement = this.postgresSql.get(name);
    if (!statement) {
      // TypeORM numbers the parameters; passing each one's own name as its value tells us
      // which name each $n is, so later runs only pick values (the PostgreSQL driver passes
      // values through unchanged, so nothing else differs from escaping every time).
      const names = Object.fromEntries(Object.keys(params).map((key) => [key, key]));
      const [text, order] = this.dataSource.driver.escapeQueryWithParameters(build(), names);
      statement = { text, order: order as string[] };
      this.postgresSql.set(name, statement);
    }
    const { text, order } = statement;
    const values = order.map((key) => params[key]);
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
