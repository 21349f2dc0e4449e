/**
 * Natural batching ("group commit") for a hot single-row statement: what is submitted while a
 * batch is on the wire waits and goes together in the next one. Under load N concurrent
 * requests cost one round trip, one statement and one commit instead of N; a lone request is
 * sent at once and waits for nothing (no timer). Each submitter gets its own item's result, or
 * the batch's error.
 *
 * Only for statements whose items are independent (a failing batch fails every item in it) and
 * that need no caller's transaction: the batch runs on its own connection.
 */
export class StatementBatcher<I, O> {
  private queue: { item: I; resolve: (result: O) => void; reject: (error: unknown) => void }[] = [];
  private inFlight = 0;

  /**
   * @param runBatch one statement for the items, answering one result per item, in order
   * @param maxBatch items per statement (keeps the bound-parameter count under both drivers' limits)
   * @param maxInFlight batches on the wire at once (each holds one pooled connection)
   */
  constructor(
    private readonly runBatch: (items: readonly I[]) => Promise<readonly O[]>,
    private readonly maxBatch = 100,
    private readonly maxInFlight = 1,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      // runBatch is called synchronously here; a synchronous throw must fail the batch too.
      Promise.resolve()
        .then(() => this.runBatch(batch.map((waiting) => waiting.item)))
        .then(
          (results) => batch.forEach((waiting, i) => waiting.resolve(results[i])),
          (error: unknown) => batch.forEach((waiting) => waiting.reject(error)),
        )
        .finally(() => {
          this.inFlight--;
          this.drain();
        });
    }
  }
}
