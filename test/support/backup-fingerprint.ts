import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { backupTables } from '../../src/backup/table-order';

/** Values in one form whatever the driver returned (dates as ISO, binary as base64, keys sorted). */

const canonical = (value: unknown): unknown => {
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
};

/** Per table: row count and sha256 over its raw rows ordered by primary key, serialised canonically. */
export async function fingerprint(
  db: DataSource,
): Promise<Record<string, { rows: number; sha256: string }>> {
  const result: Record<string, { rows: number; sha256: string }> = {};
  for (const table of backupTables(db)) {
    const order = table.primaryKey.map((c) => `"${c}"`).join(', ');
    const rows: unknown[] = await db.query(`SELECT * FROM "${table.name}" ORDER BY ${order}`);
    const hash = createHash('sha256');
    for (const row of rows) hash.update(`${JSON.stringify(canonical(row))}\n`);
    result[table.name] = { rows: rows.length, sha256: hash.digest('hex') };
  }
  return result;
}
