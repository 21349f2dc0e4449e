import { randomUUID } from 'node:crypto';
import { ADMIN_ENV, buildWorld, forgedTokens, World } from '../support/actors';
import {
  buildPath,
  entityParamOf,
  listOperations,
  Operation,
  sampleObject,
} from '../support/openapi-operations';
import { rowCounts } from '../support/row-counts';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The access matrix, generated from the route table: every operation of /docs-json with
 * its declared rule (x-access) is called by every kind of caller. A route without a rule
 * fails the suite. Tenant routes are called with entity A's id (owner, admin, member of A)
 * or by the owner of entity B (an outsider to A).
 */

jest.setTimeout(300_000);

const ROLES = ['member', 'admin', 'owner'] as const;
/** The value of each bearer token that token-only routes (`x-access: {kind: 'token'}`) take. */
const OPERATIONS_TOKENS: Record<string, string> = { metrics: 'access-matrix-metrics-token' };

describe('access matrix over every operation of the OpenAPI document', () => {
  let t: TestApp;
  let w: World;
  let ops: Operation[];
  let baseline: Record<string, number>;

  beforeAll(async () => {
    t = await startTestApp({
      label: 'access',
      env: { ...ADMIN_ENV, METRICS_TOKEN: OPERATIONS_TOKENS.metrics },
    });
    w = await buildWorld(t);
    const doc = await t.http.get('/docs-json').expect(200);
    ops = listOperations(doc.body);
    baseline = await rowCounts(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function call(op: Operation, headers: Record<string, string>, entityId = w.entityId) {
    const hasBody = op.body !== undefined;
    const res = await t.app
      .getHttpAdapter()
      .getInstance()
      .inject({
        method: op.method.toUpperCase() as 'GET',
        url: buildPath(op, entityId),
        headers: { ...headers, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
        payload: hasBody ? JSON.stringify(sampleObject(op.body)) : undefined,
      });
    let body: { status?: number; type?: string } = {};
    try {
      body = JSON.parse(res.body);
    } catch {
      /* not JSON */
    }
    return {
      status: res.statusCode,
      contentType: String(res.headers['content-type'] ?? ''),
      body,
      text: res.body,
    };
  }

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const nonPublic = () => ops.filter((op) => op.access && op.access.kind !== 'public');
  const tenantOps = () => ops.filter((op) => op.access?.kind === 'tenant');

  /** Calls each op and lists those whose answer is not `expected` problem+json. */
  async function expectEvery(
    selected: Operation[],
    headers: Record<string, string>,
    expected: number,
    entityId?: string,
  ): Promise<string[]> {
    const failures: string[] = [];
    for (const op of selected) {
      const res = await call(op, headers, entityId);
      const problem =
        res.contentType.startsWith('application/problem+json') && res.body.status === expected;
      if (res.status !== expected || !problem)
        failures.push(`${op.label}: ${res.status} ${res.text.slice(0, 160)}`);
    }
    return failures;
  }

  it('finds the routes, and every one declares an access rule (x-access)', () => {
    expect(ops.length).toBeGreaterThan(3);
    const undeclared = ops.filter((op) => !op.access).map((op) => op.label);
    expect(undeclared).toEqual([]);
    const malformed = ops
      .filter((op) => op.access?.kind === 'tenant')
      .filter(
        (op) =>
          !ROLES.includes((op.access as { role: (typeof ROLES)[number] }).role) ||
          !entityParamOf(op),
      )
      .map((op) => op.label);
    // A tenant route must name its entity in the path (:entityId or :id).
    expect(malformed).toEqual([]);
  });

  it('answers 401 problem+json to anonymous callers on every non-public route', async () => {
    expect(await expectEvery(nonPublic(), {}, 401)).toEqual([]);
  });

  it('lets anonymous callers through the guard on public routes', async () => {
    const failures: string[] = [];
    for (const op of ops.filter((o) => o.access?.kind === 'public')) {
      const res = await call(op, {});
      // 401 is fine when it is the route's own answer (wrong password at login), not the guard's.
      const guard =
        res.status === 403 ||
        (res.status === 401 &&
          /^Authentication required/i.test(String((res.body as { detail?: string }).detail)));
      if (guard || res.status >= 500)
        failures.push(`${op.label}: ${res.status} ${res.text.slice(0, 160)}`);
    }
    // Public writes (registration) may add rows; everything after this must not.
    baseline = await rowCounts(t.db);
    expect(failures).toEqual([]);
  });

  it('answers 401 to malformed Authorization headers on every non-public route', async () => {
    const failures: string[] = [];
    for (const header of [
      'Basic dXNlcjpwYXNz',
      'Bearer',
      'Bearer  ',
      `Bearer ${'x'.repeat(5000)}`,
      'Token abc',
    ]) {
      failures.push(
        ...(await expectEvery(nonPublic(), { authorization: header }, 401)).map(
          (f) => `[${header.slice(0, 20)}] ${f}`,
        ),
      );
    }
    failures.push(
      ...(await expectEvery(nonPublic(), { 'x-api-key': 'ck_not_a_real_key' }, 401)).map(
        (f) => `[X-API-Key] ${f}`,
      ),
    );
    expect(failures).toEqual([]);
  });

  it('answers 401 to expired, tampered, alg:none and otherwise forged JWTs on every non-public route', async () => {
    const failures: string[] = [];
    for (const [kind, token] of Object.entries(
      forgedTokens(w.owner.token, t.config.auth.jwtSecret, w.admin),
    )) {
      failures.push(
        ...(await expectEvery(nonPublic(), bearer(token), 401)).map((f) => `[${kind}] ${f}`),
      );
    }
    expect(failures).toEqual([]);
  });

  it('answers 401 to a deactivated user on every non-public route', async () => {
    expect(await expectEvery(nonPublic(), bearer(w.deactivated.token), 401)).toEqual([]);
  });

  it('answers 403 to users who are not platform admins on every admin route', async () => {
    const admin = ops.filter((op) => op.access?.kind === 'admin');
    const failures = [
      ...(await expectEvery(admin, bearer(w.owner.token), 403)).map((f) => `[entity owner] ${f}`),
      ...(await expectEvery(admin, bearer(w.member.token), 403)).map((f) => `[member] ${f}`),
    ];
    expect(failures).toEqual([]);
  });

  it('answers 404 to a member of another entity on every tenant route', async () => {
    expect(await expectEvery(tenantOps(), bearer(w.outsider.token), 404)).toEqual([]);
  });

  it('answers 404 on every tenant route for an entity that does not exist', async () => {
    expect(await expectEvery(tenantOps(), bearer(w.owner.token), 404, randomUUID())).toEqual([]);
  });

  it('answers 403 to members whose role is below the route’s on every tenant route', async () => {
    const failures: string[] = [];
    const actors = { member: w.member, admin: w.entityAdmin };
    for (const [role, actor] of Object.entries(actors)) {
      const above = tenantOps().filter((op) => {
        const needed = (op.access as { role: (typeof ROLES)[number] }).role;
        return ROLES.indexOf(needed) > ROLES.indexOf(role as (typeof ROLES)[number]);
      });
      failures.push(
        ...(await expectEvery(above, bearer(actor.token), 403)).map((f) => `[${role}] ${f}`),
      );
    }
    expect(failures).toEqual([]);
  });

  it('lets callers with enough access through the guard on every read route', async () => {
    const failures: string[] = [];
    const reads = ops.filter(
      (op) =>
        op.method === 'get' &&
        op.access &&
        op.access.kind !== 'public' &&
        op.access.kind !== 'token',
    );
    for (const op of reads) {
      const access = op.access!;
      const callers =
        access.kind === 'admin'
          ? { admin: w.admin }
          : access.kind === 'authenticated'
            ? { member: w.member, outsider: w.outsider }
            : Object.fromEntries(
                (
                  [
                    ['member', w.member],
                    ['admin', w.entityAdmin],
                    ['owner', w.owner],
                  ] as const
                ).filter(
                  ([role]) =>
                    ROLES.indexOf(role) >=
                    ROLES.indexOf((access as { role: (typeof ROLES)[number] }).role),
                ),
              );
      for (const [who, actor] of Object.entries(callers)) {
        const res = await call(op, bearer(actor.token));
        const deniedByGuard =
          res.status === 401 ||
          res.status === 403 ||
          (res.status === 404 && /entity not found/i.test(res.text));
        if (deniedByGuard || res.status >= 500)
          failures.push(`[${who}] ${op.label}: ${res.status} ${res.text.slice(0, 160)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers 401 to every user, platform admins included, on token-only routes, and 200 to their token', async () => {
    const tokenOps = ops.filter((op) => op.access?.kind === 'token');
    // GET /metrics: never under the API's access rules by accident.
    expect(tokenOps.map((op) => op.label)).toEqual(['GET /metrics']);
    const failures = [
      ...(await expectEvery(tokenOps, bearer(w.admin.token), 401)).map((f) => `[admin] ${f}`),
      ...(await expectEvery(tokenOps, bearer(w.owner.token), 401)).map((f) => `[owner] ${f}`),
      ...(await expectEvery(tokenOps, { 'x-health-token': 'x'.repeat(20) }, 401)),
    ];
    for (const op of tokenOps) {
      const token = OPERATIONS_TOKENS[(op.access as { token: string }).token];
      const res = await call(op, bearer(token));
      if (res.status !== 200) failures.push(`[token] ${op.label}: ${res.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('changed no row while refusing all of the above', async () => {
    expect(await rowCounts(t.db)).toEqual(baseline);
  });
});
