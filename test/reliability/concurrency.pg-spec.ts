import { randomUUID } from 'node:crypto';
import { addMember, Actor, createEntity, PASSWORD, register } from '../support/actors';
import { startTestApp, TestApp } from '../support/test-app';
import { inject } from './load';

/**
 * Invariants under real concurrency on PostgreSQL (a pool of 10, requests fired together):
 * exactly one winner for a unique thing, the rest 409 problem+json, counts exact.
 */

jest.setTimeout(120_000);

describe('concurrency invariants on PostgreSQL', () => {
  let t: TestApp;
  let owner: Actor;
  let entityId: string;

  beforeAll(async () => {
    t = await startTestApp({ label: 'concurrency', env: { DATABASE_POOL_SIZE: '10' } });
    owner = await register(t, 'race-owner');
    entityId = await createEntity(t, owner);
  });
  afterAll(async () => {
    await t?.close();
  });

  const count = async (sql: string, params: unknown[]) =>
    Number((await t.db.query(sql, params))[0].n);
  const tally = (statuses: number[]) =>
    statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

  it('registers the same email 20 times at once: one 201, nineteen 409, one row', async () => {
    const email = `dup-${randomUUID().slice(0, 8)}@example.com`;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        inject(t.app, 'POST', '/v1/auth/register', {
          body: { email: i % 2 ? email.toUpperCase() : email, password: PASSWORD },
          remoteAddress: `10.1.0.${i}`,
        }),
      ),
    );
    expect(tally(results.map((r) => r.status))).toEqual({ 201: 1, 409: 19 });
    for (const r of results.filter((x) => x.status === 409))
      expect(r.contentType).toMatch(/^application\/problem\+json/);
    expect(
      await count('SELECT COUNT(*) AS n FROM users WHERE lower(email) = lower($1)', [email]),
    ).toBe(1);
  });

  it('creates the same lead email 20 times at once in one entity: one 201, nineteen 409, one row', async () => {
    const email = `lead-${randomUUID().slice(0, 8)}@example.com`;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        inject(t.app, 'POST', `/v1/entities/${entityId}/leads`, {
          token: owner.token,
          body: { firstName: 'Ada', lastName: 'Lovelace', email },
        }),
      ),
    );
    expect(tally(results.map((r) => r.status))).toEqual({ 201: 1, 409: 19 });
    expect(
      await count(
        'SELECT COUNT(*) AS n FROM leads WHERE entity_id = $1 AND lower(email) = lower($2)',
        [entityId, email],
      ),
    ).toBe(1);
  });

  it('creates 50 leads with distinct emails at once: fifty 201, fifty rows', async () => {
    const before = await count('SELECT COUNT(*) AS n FROM leads WHERE entity_id = $1', [entityId]);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        inject(t.app, 'POST', `/v1/entities/${entityId}/leads`, {
          token: owner.token,
          body: {
            firstName: `First${i}`,
            lastName: `Last${i}`,
            email: `bulk-${i}-${randomUUID().slice(0, 6)}@example.com`,
          },
        }),
      ),
    );
    expect(tally(results.map((r) => r.status))).toEqual({ 201: 50 });
    expect(await count('SELECT COUNT(*) AS n FROM leads WHERE entity_id = $1', [entityId])).toBe(
      before + 50,
    );
  });

  it('two owners demoting each other at once never leave an entity without an owner (10 rounds)', async () => {
    for (let round = 0; round < 10; round++) {
      const a = await register(t, `owner-a${round}`);
      const b = await register(t, `owner-b${round}`);
      const entity = await createEntity(t, a);
      await addMember(t, a, entity, b, 'owner');
      const [ab, ba] = await Promise.all([
        inject(t.app, 'PATCH', `/v1/entities/${entity}/members/${b.id}`, {
          token: a.token,
          body: { role: 'member' },
        }),
        inject(t.app, 'PATCH', `/v1/entities/${entity}/members/${a.id}`, {
          token: b.token,
          body: { role: 'member' },
        }),
      ]);
      const statuses = [ab.status, ba.status].sort();
      // One demotion wins. The loser is refused: 409 (it would remove the last owner), or 403/404 when the
      // winner's demotion already took the loser's owner role away before its guard ran.
      expect(statuses[0]).toBe(200);
      expect([403, 409]).toContain(statuses[1]);
      const owners = await count(
        `SELECT COUNT(*) AS n FROM user_memberships WHERE entity_id = $1 AND role = 'owner'`,
        [entity],
      );
      expect(owners).toBe(1);
    }
  });

  it('an owner demoting themselves twice at once while the only owner: both 409, still one owner', async () => {
    const solo = await register(t, 'solo-owner');
    const entity = await createEntity(t, solo);
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        inject(t.app, 'PATCH', `/v1/entities/${entity}/members/${solo.id}`, {
          token: solo.token,
          body: { role: 'member' },
        }),
      ),
    );
    expect(tally(results.map((r) => r.status))).toEqual({ 409: 5 });
    expect(
      await count(
        `SELECT COUNT(*) AS n FROM user_memberships WHERE entity_id = $1 AND role = 'owner'`,
        [entity],
      ),
    ).toBe(1);
  });
});
