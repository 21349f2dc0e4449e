import { queryRows } from './raw-sql';
import { Tx } from './unit-of-work';

/**
 * Takes a lock named `name` for the rest of the unit, so one instance at a time does the work
 * (scheduled jobs on several instances): PostgreSQL `pg_try_advisory_xact_lock(hashtext(name))`,
 * released at commit or rollback; false when another session holds it. SQLite units are serial
 * and one file has one writer, so always true there.
 */
export async function tryAdvisoryLock(tx: Tx, name: string): Promise<boolean> {
  if (tx.manager.connection.options.type !== 'postgres') return true;
  const [row] = await queryRows<{ locked: boolean }>(
    tx.manager,
    'SELECT pg_try_advisory_xact_lock(hashtext(:name)) AS locked',
    { name },
  );
  return row?.locked === true;
}
