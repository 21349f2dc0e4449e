import { NestFastifyApplication } from '@nestjs/platform-fastify';

/** One request's outcome under load. */
export interface Outcome {
  status: number;
  ms: number;
  at: number;
  contentType: string;
  retryAfter?: string;
  body: string;
  /** What the request carried (for "every acknowledged write is in the database"). */
  tag?: string;
}

/** In-process request through the whole Fastify pipeline (parsers, hooks, guards, filters). */
export async function inject(
  app: NestFastifyApplication,
  method: string,
  url: string,
  options: { token?: string; body?: unknown; remoteAddress?: string } = {},
): Promise<Outcome> {
  const started = Date.now();
  const res = await app
    .getHttpAdapter()
    .getInstance()
    .inject({
      method: method as 'GET',
      url,
      remoteAddress: options.remoteAddress,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      payload: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    });
  return {
    status: res.statusCode,
    ms: Date.now() - started,
    at: started,
    contentType: String(res.headers['content-type'] ?? ''),
    retryAfter: res.headers['retry-after'] as string | undefined,
    body: res.body,
  };
}

/** Runs `worker` in `concurrency` loops until stop() is called; collects every outcome. */
export function runLoad(concurrency: number, worker: (i: number) => Promise<Outcome>) {
  let running = true;
  const outcomes: Outcome[] = [];
  let n = 0;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      outcomes.push(await worker(n++));
    }
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true; resolves with the elapsed ms, rejects after timeoutMs. */
export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs)
      throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}
