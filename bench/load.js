'use strict';
/**
 * One load run, in its own process (so the load generator never shares an event loop with
 * a server): autocannon with a warm-up, then the measured run. The spec comes as JSON in
 * argv[2]; the result is printed as one JSON line on stdout.
 *
 * spec: { url, method, headers, body?, paths?: string[] (picked at random per request),
 *         uniqueEmail?: true (body.email made unique per request),
 *         refreshTokens?: string[] (POST /v1/auth/refresh chains: each request spends one token of
 *         the pool and its answer puts the next one back),
 *         uniqueIdempotencyKey?: true (a fresh Idempotency-Key header per request),
 *         ifNoneMatch?: true (each request sends its path's current ETag as If-None-Match; the
 *         tags are read with one GET per path before the warm-up, so they are never stale),
 *         expectStatus?: number (the one status that counts as success, e.g. 304; default 2xx),
 *         connections, warmupSec, durationSec }
 */
const autocannon = require('autocannon');

const spec = JSON.parse(process.argv[2]);
const base = new URL(spec.url);
let counter = 0;
const tag = `${process.pid}-${Date.now().toString(36)}`;

/**
 * Refresh tokens are single-use: a pool, not a per-connection context (autocannon resets the
 * context before every request of a one-request list). More tokens than connections, so a chain
 * lost at the end of the warm-up does not starve the measured run.
 */
const refreshPool = spec.refreshTokens ? [...spec.refreshTokens] : null;

function onResponse(status, body) {
  if (!refreshPool || status !== 200) return;
  try {
    refreshPool.push(JSON.parse(body).refreshToken);
  } catch {
    /* not JSON: the chain ends */
  }
}

/** With ifNoneMatch: the current ETag of each of spec.paths (same order). */
let etags = null;

async function currentEtags() {
  const out = [];
  for (const path of spec.paths) {
    const r = await fetch(base.origin + path, { headers: spec.headers });
    await r.arrayBuffer();
    if (r.status !== 200 || !r.headers.get('etag'))
      throw new Error(`GET ${path} for its ETag: ${r.status}`);
    out.push(r.headers.get('etag'));
  }
  return out;
}

function setupRequest(req) {
  const out = { ...req };
  if (refreshPool) out.body = JSON.stringify({ refreshToken: refreshPool.shift() ?? 'exhausted' });
  if (spec.paths) {
    const i = Math.floor(Math.random() * spec.paths.length);
    out.path = spec.paths[i];
    if (etags) out.headers = { ...req.headers, 'if-none-match': etags[i] };
  }
  if (spec.uniqueEmail) {
    const body = { ...spec.body, email: `bench-${tag}-${counter++}@example.com` };
    out.body = JSON.stringify(body);
  }
  if (spec.uniqueIdempotencyKey) {
    out.headers = { ...req.headers, 'idempotency-key': `bench-${tag}-${counter++}` };
  }
  return out;
}

function run(durationSec) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: base.origin,
        connections: spec.connections,
        pipelining: 1,
        duration: durationSec,
        timeout: 10,
        requests: [
          {
            method: spec.method || 'GET',
            path: base.pathname + base.search,
            headers: {
              ...(spec.body ? { 'content-type': 'application/json' } : {}),
              ...spec.headers,
            },
            ...(spec.body ? { body: JSON.stringify(spec.body) } : {}),
            setupRequest,
            onResponse,
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    process.once('SIGTERM', () => instance.stop());
  });
}

(async () => {
  if (spec.ifNoneMatch) etags = await currentEtags();
  if (spec.warmupSec > 0) await run(spec.warmupSec);
  const r = await run(spec.durationSec);
  const codes = {};
  for (const [code, v] of Object.entries(r.statusCodeStats || {})) codes[code] = v.count;
  process.stdout.write(
    `${JSON.stringify({
      reqPerSec: Math.round(r.requests.average),
      requests: r.requests.total,
      latencyMs: {
        mean: r.latency.mean,
        p50: r.latency.p50,
        p90: r.latency.p90,
        p99: r.latency.p99,
        max: r.latency.max,
      },
      errors: r.errors,
      timeouts: r.timeouts,
      // With expectStatus: every other status is a failure (a 200 where a 304 was due, too).
      non2xx: spec.expectStatus
        ? Object.entries(codes).reduce(
            (n, [c, k]) => n + (Number(c) === spec.expectStatus ? 0 : k),
            0,
          )
        : r.non2xx,
      statusCodes: codes,
    })}\n`,
  );
})().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
