import { createHash } from 'node:crypto';
import { DataSource, ObjectLiteral, QueryFailedError } from 'typeorm';
import type { QueryOptions } from './sql-repository';

interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

interface PgDriverPools {
  master: PgPool;
  slaves: PgPool[];
}

/** One SQL text of a statement, ready to run. */
interface Compiled {
  /** SQLite: the SQL with `:named` parameters (the driver converts values on every run). */
  named: string;
  /** PostgreSQL: the `$n` SQL, the parameter name of each `$n`, and the statement name. */
  text: string;
  order: string[];
  name: string;
}

/**
 * Opt-in for measured hot paths only: statements whose SQL is built once and then only run
 * with parameters. Building SQL through the QueryBuilder on every request, and PostgreSQL
 * parsing and planning it again each time, were ~13% of the CPU of a lead read (bench/README.md).
 *
 * `statement(build)` returns a statement whose SQL may depend on WHICH parameters are given,
 * never on their values: `build` runs once per set of defined parameter names (a filter that
 * is present adds its parameter, and so its own SQL text). The PostgreSQL statement name is a
 * hash of the SQL text itself, so one name can never stand for two different texts.
 * - PostgreSQL: a named prepared statement sent straight to TypeORM's pg pool (parsed and
 *   planned once per pooled connection); reads go to a replica unless `primary`; inside a
 *   unit of work (`tx`) the statement runs on the unit's connection.
 * - SQLite: through TypeORM, whose better-sqlite3 driver caches prepared statements.
 * Values are converted by TypeORM's driver as for any QueryBuilder query, and a failure is the
 * same QueryFailedError, so error translation is unchanged. No `:...list` parameters.
 */
export class PreparedQueries {
  private readonly pools: PgDriverPools | null;

  constructor(private readonly dataSource: DataSource) {
    this.pools =
      dataSource.options.type === 'postgres'
        ? (dataSource.driver as unknown as PgDriverPools)
        : null;
  }

  statement(build: (params: ObjectLiteral) => string): PreparedStatement {
    return new PreparedStatement(this.dataSource, this.pools, build);
  }
}

export class PreparedStatement {
  private readonly byShape = new Map<string, Compiled>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly pools: PgDriverPools | null,
    private readonly build: (params: ObjectLiteral) => string,
  ) {}

  async rows<T = Record<string, unknown>>(
    params: ObjectLiteral,
    options: QueryOptions = {},
  ): Promise<T[]> {
    const compiled = this.compiled(params);
    if (!this.pools) {
      const [text, values] = this.dataSource.driver.escapeQueryWithParameters(
        compiled.named,
        params,
      );
      return (options.tx?.manager ?? this.dataSource).query(text, values);
    }
    const values = compiled.order.map((key) => params[key]);
    if (options.tx) return options.tx.manager.query(compiled.text, values);
    const { master, slaves } = this.pools;
    const pool =
      options.primary || slaves.length === 0
        ? master
        : slaves[Math.floor(Math.random() * slaves.length)];
    try {
      return (await pool.query({ name: compiled.name, text: compiled.text, values })).rows as T[];
    } catch (error) {
      this.dataSource.logger.logQueryError(error as Error, compiled.text, values);
      throw new QueryFailedError(compiled.text, values, error as Error);
    }
  }

  /** Run for its effect (INSERT, UPDATE): always on the primary, or in the given unit. */
  async execute(params: ObjectLiteral, options: QueryOptions = {}): Promise<void> {
    await this.rows(params, { ...options, primary: true });
  }

  private compiled(params: ObjectLiteral): Compiled {
    const shape = Object.keys(params)
      .filter((key) => params[key] !== undefined)
      .sort()
      .join(',');
    let compiled = this.byShape.get(shape);
    if (compiled) return compiled;
    const named = this.build(params);
    // TypeORM numbers the parameters; passing each one's own name as its value tells which
    // name each $n is, so later runs only pick values (the pg driver passes values through).
    const names = Object.fromEntries(Object.keys(params).map((key) => [key, key]));
    const [text, order] = this.dataSource.driver.escapeQueryWithParameters(named, names);
    const name = `cs_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    compiled = { named, text, order: order as string[], name };
    this.byShape.set(shape, compiled);
    return compiled;
  }
}
