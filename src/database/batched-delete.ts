import { tryAdvisoryLock } from './advisory-lock';
import { Tx, UnitOfWork } from './unit-of-work';

/**
 * Runs `deleteBatch(limit)` (a DELETE of at most `limit` rows, answering how many it deleted)
 * until a batch comes back short; the total. Cleanup deletes this way so that no statement
 * holds a long lock on a big table.
 */
export async function deleteInBatches(
  limit: number,
  deleteBatch: (limit: number) => Promise<number>,
): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await deleteBatch(limit);
    total += n;
    if (n < limit) return total;
  }
}

/**
 * A purge job's body: deleteInBatches in one unit that holds the advisory lock `lockName`, so one
 * instance at a time purges; the total, or null when another instance holds the lock.
 */
export function purgeUnderLock(
  uow: UnitOfWork,
  lockName: string,
  limit: number,
  deleteBatch: (limit: number, tx: Tx) => Promise<number>,
): Promise<number | null> {
  return uow.run(async (tx) => {
    if (!(await tryAdvisoryLock(tx, lockName))) return null;
    return deleteInBatches(limit, (n) => deleteBatch(n, tx));
  });
}
