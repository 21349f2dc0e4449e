import { DataSource } from 'typeorm';

/**
 * Telemetry tables that every served request may add to in the background (API-call counters,
 * buffered system events): the suites that assert "no row changed" leave them out.
 */
const TELEMETRY = /^(usage_analytics|system_logs(_.*)?)$/;

/** Row count of every table of the app's database (PostgreSQL public schema or SQLite), telemetry aside. */
export async function rowCounts(db: DataSource): Promise<Record<string, number>> {
  const postgres = db.options.type === 'postgres';
  const tables: Array<{ name: string }> = postgres
    ? await db.query(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
      )
    : await db.query(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1`,
      );
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    if (TELEMETRY.test(name)) continue;
    const [row] = await db.query(`SELECT COUNT(*) AS n FROM "${name.replace(/"/g, '""')}"`);
    counts[name] = Number(row.n);
  }
  return counts;
}
