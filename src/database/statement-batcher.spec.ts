import { StatementBatcher } from './statement-batcher';

/** A batch runner whose batches the test finishes by hand. */
function manualRunner() {
  const batches: { items: readonly number[]; finish: (error?: Error) => void }[] = [];
  const run = (items: readonly number[]) =>
    new Promise<number[]>((resolve, reject) =>
      batches.push({
        items,
        finish: (error) => (error ? reject(error) : resolve(items.map((n) => n * 10))),
      }),
    );
  return { batches, run };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('StatementBatcher', () => {
  it('sends a lone item at once, and groups what arrives while a batch is in flight', async () => {
    const { batches, run } = manualRunner();
    const batcher = new StatementBatcher(run);
    const first = batcher.submit(1);
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1]]);
    const later = [batcher.submit(2), batcher.submit(3), batcher.submit(4)];
    await tick();
    expect(batches).toHaveLength(1); // they wait for the first batch
    batches[0].finish();
    expect(await first).toBe(10);
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1], [2, 3, 4]]);
    batches[1].finish();
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
  });

  it('caps a batch at maxBatch items and keeps the order', async () => {
    const { batches, run } = manualRunner();
    const batcher = new StatementBatcher(run, 2);
    const all = [1, 2, 3, 4, 5].map((n) => batcher.submit(n));
    await tick();
    batches[0].finish();
    await tick();
    batches[1].finish();
    await tick();
    batches[2].finish();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50]);
    expect(batches.map((b) => b.items)).toEqual([[1], [2, 3], [4, 5]]);
  });

  it('fails every item of a failed batch and goes on with the next', async () => {
    const { batches, run } = manualRunner();
    const batcher = new StatementBatcher(run);
    const first = batcher.submit(1);
    await tick();
    const second = [batcher.submit(2), batcher.submit(3)];
    batches[0].finish(new Error('connection lost'));
    await expect(first).rejects.toThrow('connection lost');
    await tick();
    batches[1].finish(new Error('still down'));
    for (const item of second) await expect(item).rejects.toThrow('still down');
    const third = batcher.submit(4);
    await tick();
    batches[2].finish();
    expect(await third).toBe(40);
  });

  it('turns a synchronous throw of the runner into a rejected item', async () => {
    const batcher = new StatementBatcher<number, number>(() => {
      throw new Error('bad statement');
    });
    await expect(batcher.submit(1)).rejects.toThrow('bad statement');
  });
});
