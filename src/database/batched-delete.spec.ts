import { deleteInBatches } from './batched-delete';

describe('deleteInBatches', () => {
  it('repeats full batches until a short one and answers the total', async () => {
    let left = 25;
    const limits: number[] = [];
    const total = await deleteInBatches(10, async (limit) => {
      limits.push(limit);
      const n = Math.min(limit, left);
      left -= n;
      return n;
    });
    expect(total).toBe(25);
    expect(limits).toEqual([10, 10, 10]);
  });

  it('runs one more (empty) batch when the rows are a multiple of the limit', async () => {
    const results = [10, 0];
    let calls = 0;
    expect(await deleteInBatches(10, async () => results[calls++])).toBe(10);
    expect(calls).toBe(2);
  });
});
