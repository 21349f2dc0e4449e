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
