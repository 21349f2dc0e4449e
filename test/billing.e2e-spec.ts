import { createHmac, randomUUID } from 'node:crypto';
import { BillingService } from '../src/billing/billing.service';
import { FixedClock } from '../src/common/clock/clock';
import { ADMIN_ENV, Actor, deactivate, loginAdmin, register } from './support/actors';
import { startTestApp, TestApp } from './support/test-app';

const SECRET = 'lemon-test-secret-0123456789';
const DAY = 24 * 60 * 60 * 1000;
const PROBLEM = /^application\/problem\+json/;

describe('billing', () => {
  let t: TestApp;
  let billing: BillingService;
  const clock = new FixedClock(new Date('2026-03-01T00:00:00.000Z'));
  let admin: Actor;
  const bearer = (a: Actor | string) => ({
    Authorization: `Bearer ${typeof a === 'string' ? a : a.token}`,
  });
  const q = (sql: string) => t.db.query(sql);
  const n = async (sql: string) => Number((await q(sql))[0].n);

  beforeAll(async () => {
    t = await startTestApp({
      label: 'billing',
      clock,
      env: { ...ADMIN_ENV, LEMON_SQUEEZY_WEBHOOK_SECRET: SECRET, JWT_EXPIRES_IN: '3650d' },
    });
    billing = t.app.get(BillingService);
    admin = await loginAdmin(t);
    await q(`UPDATE subscription_plans SET lemon_squeezy_variant_id = '1001' WHERE id = 'starter'`);
    await q(
      `UPDATE subscription_plans SET lemon_squeezy_variant_id = '1002' WHERE id = 'professional'`,
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('plans and subscriptions', () => {
    it('lists the four seeded plans to anyone, cheapest first', async () => {
      const res = await t.http.get('/v1/billing/plans').expect(200);
      expect(res.body).toEqual([
        {
          id: 'free',
          name: 'Free',
          monthlyComputeUnits: 100,
          maxConcurrentTasks: 1,
          priceCents: 0,
          currency: 'USD',
        },
        {
          id: 'starter',
          name: 'Starter',
          monthlyComputeUnits: 1000,
          maxConcurrentTasks: 3,
          priceCents: 1900,
          currency: 'USD',
        },
        {
          id: 'professional',
          name: 'Professional',
          monthlyComputeUnits: 5000,
          maxConcurrentTasks: 10,
          priceCents: 4900,
          currency: 'USD',
        },
        {
          id: 'enterprise',
          name: 'Enterprise',
          monthlyComputeUnits: 25000,
          maxConcurrentTasks: 50,
          priceCents: 9900,
          currency: 'USD',
        },
      ]);
    });

    it('gives a new user the free plan for 30 days from registration', async () => {
      const user = await register(t, 'fresh');
      const res = await t.http.get('/v1/billing/subscription').set(bearer(user)).expect(200);
      expect(res.body).toMatchObject({
        planId: 'free',
        plan: { id: 'free', monthlyComputeUnits: 100 },
        status: 'active',
        currentPeriodStart: clock.now().toISOString(),
        currentPeriodEnd: new Date(clock.now().getTime() + 30 * DAY).toISOString(),
        cancelAtPeriodEnd: false,
        computeUnits: { limit: 100, used: 0, remaining: 100 },
        maxConcurrentTasks: 1,
      });
      expect(
        await n(`SELECT COUNT(*) AS n FROM user_subscriptions WHERE user_id = '${user.id}'`),
      ).toBe(1);
    });

    it('creates the subscription on first use for a user made elsewhere (the admin from ADMIN_EMAIL)', async () => {
      expect(
        await n(`SELECT COUNT(*) AS n FROM user_subscriptions WHERE user_id = '${admin.id}'`),
      ).toBe(0);
      await Promise.all(
        [1, 2, 3].map(() => t.http.get('/v1/billing/subscription').set(bearer(admin)).expect(200)),
      );
      expect(
        await n(`SELECT COUNT(*) AS n FROM user_subscriptions WHERE user_id = '${admin.id}'`),
      ).toBe(1);
    });

    it('charges compute units all or nothing, writes a ledger row for each, and refuses what does not fit with 402', async () => {
      const user = await register(t, 'charge');
      expect(await billing.consumeComputeUnits(user.id, 30, null, 'test charge')).toBe(30);
      expect(await billing.consumeComputeUnits(user.id, 70, null, 'test charge')).toBe(70);
      await expect(billing.consumeComputeUnits(user.id, 1, null, 'too much')).rejects.toMatchObject(
        { status: 402 },
      );
      const sub = await t.http.get('/v1/billing/subscription').set(bearer(user)).expect(200);
      expect(sub.body.computeUnits).toEqual({ limit: 100, used: 100, remaining: 0 });
      expect(
        await n(
          `SELECT COALESCE(SUM(delta), 0) AS n FROM compute_unit_ledger WHERE user_id = '${user.id}'`,
        ),
      ).toBe(100);
      expect(await billing.refund(user.id, 40, null, 'refund')).toBe(40);
      expect(await billing.consumeComputeUnits(user.id, 100, null, 'capped', { upTo: true })).toBe(
        40,
      );
      expect(
        await billing.consumeComputeUnits(user.id, 5, null, 'nothing left', { upTo: true }),
      ).toBe(0);
      expect(
        await n(
          `SELECT COALESCE(SUM(delta), 0) AS n FROM compute_unit_ledger WHERE user_id = '${user.id}'`,
        ),
      ).toBe(100);
      expect(
        await n(`SELECT COUNT(*) AS n FROM compute_unit_ledger WHERE user_id = '${user.id}'`),
      ).toBe(4);
    });

    it('refuses amounts that are not positive integers inside the service (400), writing nothing', async () => {
      const user = await register(t, 'amounts');
      for (const units of [0, -5, 1.5, Number.NaN, Infinity, 1e18])
        await expect(
          billing.consumeComputeUnits(user.id, units, null, 'bad'),
        ).rejects.toMatchObject({ status: 400 });
      await expect(billing.refund(user.id, -1, null, 'bad')).rejects.toMatchObject({ status: 400 });
      expect(
        await n(`SELECT COUNT(*) AS n FROM compute_unit_ledger WHERE user_id = '${user.id}'`),
      ).toBe(0);
    });

    it('pages the current period’s ledger newest first', async () => {
      const user = await register(t, 'ledger');
      for (let i = 1; i <= 5; i++) {
        clock.advance(1000);
        await billing.consumeComputeUnits(user.id, i, null, `charge ${i}`);
      }
      const first = await t.http.get('/v1/billing/usage?limit=3').set(bearer(user)).expect(200);
      expect(first.body.items.map((e: { delta: number }) => e.delta)).toEqual([5, 4, 3]);
      expect(first.body.items[0]).toMatchObject({ reason: 'charge 5', taskId: null });
      const second = await t.http
        .get(`/v1/billing/usage?limit=3&cursor=${first.body.nextCursor}`)
        .set(bearer(user))
        .expect(200);
      expect(second.body.items.map((e: { delta: number }) => e.delta)).toEqual([2, 1]);
      expect(second.body.nextCursor).toBeNull();
    });

    it('rolls the period over lazily after its end: new period, used back to 0, ledger kept', async () => {
      const user = await register(t, 'rollover');
      const start = clock.now().getTime();
      await billing.consumeComputeUnits(user.id, 60, null, 'before rollover');
      clock.advance(31 * DAY);
      const res = await t.http.get('/v1/billing/subscription').set(bearer(user)).expect(200);
      expect(res.body).toMatchObject({
        planId: 'free',
        currentPeriodStart: new Date(start + 30 * DAY).toISOString(),
        currentPeriodEnd: new Date(start + 60 * DAY).toISOString(),
        computeUnits: { limit: 100, used: 0, remaining: 100 },
      });
      expect(
        await n(`SELECT COUNT(*) AS n FROM compute_unit_ledger WHERE user_id = '${user.id}'`),
      ).toBe(1);
      const usage = await t.http.get('/v1/billing/usage').set(bearer(user)).expect(200);
      expect(usage.body.items).toEqual([]);
      // Several periods later: aligned to whole periods from the first.
      clock.advance(95 * DAY);
      const later = await t.http.get('/v1/billing/subscription').set(bearer(user)).expect(200);
      expect(later.body.currentPeriodStart).toBe(new Date(start + 120 * DAY).toISOString());
    });

    it('lets a user choose only the free plan (403 for paid ones) and an admin any plan', async () => {
      const user = await register(t, 'plans');
      const refused = await t.http
        .post('/v1/billing/subscription')
        .set(bearer(user))
        .send({ planId: 'starter' })
        .expect(403);
      expect(refused.headers['content-type']).toMatch(PROBLEM);
      await t.http
        .post('/v1/billing/subscription')
        .set(bearer(user))
        .send({ planId: 'free' })
        .expect(200);
      const upgraded = await t.http
        .post('/v1/billing/subscription')
        .set(bearer(admin))
        .send({ planId: 'enterprise' })
        .expect(200);
      expect(upgraded.body).toMatchObject({
        planId: 'enterprise',
        computeUnits: { limit: 25000 },
        maxConcurrentTasks: 50,
      });
      await t.http
        .post('/v1/billing/subscription')
        .set(bearer(admin))
        .send({ planId: 'free' })
        .expect(200);
    });

    it('answers 404 to an unknown plan and 400 to a planId of the wrong type or 10 KB', async () => {
      const user = await register(t, 'badplan');
      await t.http
        .post('/v1/billing/subscription')
        .set(bearer(user))
        .send({ planId: 'platinum' })
        .expect(404);
      for (const planId of [42, null, ['free'], { id: 'free' }, 'x'.repeat(10 * 1024)])
        await t.http
          .post('/v1/billing/subscription')
          .set(bearer(user))
          .send({ planId })
          .expect(400);
      const sub = await t.http.get('/v1/billing/subscription').set(bearer(user)).expect(200);
      expect(sub.body.planId).toBe('free');
    });

    it('cancels at period end and falls back to free at rollover (old row expired, one active)', async () => {
      const user = await register(t, 'cancel');
      await billing.consumeComputeUnits(user.id, 10, null, 'x');
      await q(`UPDATE user_subscriptions SET plan_id = 'starter' WHERE user_id = '${user.id}'`);
      const res = await t.http
        .post('/v1/billing/subscription/cancel')
        .set(bearer(user))
        .expect(200);
      expect(res.body).toMatchObject({ planId: 'starter', cancelAtPeriodEnd: true });
      clock.advance(29 * DAY);
      expect(
        (await t.http.get('/v1/billing/subscription').set(bearer(user)).expect(200)).body.planId,
      ).toBe('starter');
      clock.advance(2 * DAY);
      const after = await t.http.get('/v1/billing/subscription').set(bearer(user)).expect(200);
      expect(after.body).toMatchObject({
        planId: 'free',
        cancelAtPeriodEnd: false,
        computeUnits: { used: 0 },
      });
      const rows = await q(
        `SELECT plan_id, status FROM user_subscriptions WHERE user_id = '${user.id}' ORDER BY created_at`,
      );
      expect(rows).toEqual([
        { plan_id: 'starter', status: 'expired' },
        { plan_id: 'free', status: 'active' },
      ]);
    });
  });

  describe('Lemon Squeezy webhook', () => {
    const sign = (raw: string, secret = SECRET) =>
      createHmac('sha256', secret).update(raw).digest('hex');
    const event = (
      name: string,
      userId: string,
      attributes: Record<string, unknown> = {},
      extra: Record<string, unknown> = {},
    ) =>
      JSON.stringify({
        meta: { event_name: name, custom_data: { user_id: userId }, ...extra },
        data: { type: 'subscriptions', id: `ls-${userId.slice(0, 8)}`, attributes },
      });
    const deliver = (raw: string, signature: string | null = sign(raw)) => {
      const req = t.http
        .post('/v1/billing/webhooks/lemonsqueezy')
        .set('Content-Type', 'application/json');
      if (signature !== null) req.set('X-Signature', signature);
      return req.send(raw);
    };
    const events = () => n('SELECT COUNT(*) AS n FROM webhook_events');
    const subscription = async (user: Actor) =>
      (await t.http.get('/v1/billing/subscription').set(bearer(user)).expect(200)).body;

    it('applies subscription_created once: the plan and a new period; a replay answers 200 and changes nothing', async () => {
      const user = await register(t, 'ls-created');
      await billing.consumeComputeUnits(user.id, 20, null, 'before paying');
      const renews = new Date(clock.now().getTime() + 30 * DAY).toISOString();
      const raw = event('subscription_created', user.id, { variant_id: 1001, renews_at: renews });
      const before = await events();
      const res = await deliver(raw).expect(200);
      expect(res.body).toMatchObject({ status: 'processed' });
      expect(await subscription(user)).toMatchObject({
        planId: 'starter',
        currentPeriodEnd: renews,
        computeUnits: { limit: 1000, used: 0 },
      });
      await billing.consumeComputeUnits(user.id, 5, null, 'after paying');
      const replay = await deliver(raw).expect(200);
      expect(replay.body).toMatchObject({ status: 'duplicate', eventId: res.body.eventId });
      expect((await subscription(user)).computeUnits.used).toBe(5);
      expect(await events()).toBe(before + 1);
      const [row] = await q(
        `SELECT status, event_name FROM webhook_events WHERE event_id = '${res.body.eventId}'`,
      );
      expect(row).toEqual({ status: 'processed', event_name: 'subscription_created' });
    });

    it('treats the provider’s event id as the identity of a delivery', async () => {
      const user = await register(t, 'ls-eventid');
      const id = `evt-${randomUUID()}`;
      const a = event('subscription_created', user.id, { variant_id: 1001 }, { event_id: id });
      const b = event('subscription_created', user.id, { variant_id: 1002 }, { event_id: id });
      expect((await deliver(a).expect(200)).body).toMatchObject({
        status: 'processed',
        eventId: id,
      });
      expect((await deliver(b).expect(200)).body).toMatchObject({
        status: 'duplicate',
        eventId: id,
      });
      expect((await subscription(user)).planId).toBe('starter');
    });

    it('handles subscription_updated, _cancelled, _payment_success and _expired', async () => {
      const user = await register(t, 'ls-all');
      await deliver(event('subscription_created', user.id, { variant_id: 1001 })).expect(200);
      await deliver(
        event('subscription_updated', user.id, { variant_id: 1002, cancelled: false, n: 1 }),
      ).expect(200);
      expect(await subscription(user)).toMatchObject({
        planId: 'professional',
        cancelAtPeriodEnd: false,
      });
      await deliver(event('subscription_cancelled', user.id, { variant_id: 1002 })).expect(200);
      expect(await subscription(user)).toMatchObject({
        planId: 'professional',
        cancelAtPeriodEnd: true,
      });
      await billing.consumeComputeUnits(user.id, 50, null, 'work');
      clock.advance(DAY);
      const paid = JSON.stringify({
        meta: { event_name: 'subscription_payment_success', custom_data: { user_id: user.id } },
        data: {
          type: 'subscription-invoices',
          id: '9',
          attributes: { subscription_id: 77, status: 'paid' },
        },
      });
      await deliver(paid).expect(200);
      expect(await subscription(user)).toMatchObject({
        planId: 'professional',
        cancelAtPeriodEnd: false,
        currentPeriodStart: clock.now().toISOString(),
        computeUnits: { used: 0 },
      });
      await deliver(event('subscription_expired', user.id, { variant_id: 1002 })).expect(200);
      expect(await subscription(user)).toMatchObject({
        planId: 'free',
        computeUnits: { limit: 100, used: 0 },
      });
      expect(
        await n(
          `SELECT COUNT(*) AS n FROM user_subscriptions WHERE user_id = '${user.id}' AND status = 'active'`,
        ),
      ).toBe(1);
    });

    it('answers 401 to a missing, malformed or foreign signature and stores nothing', async () => {
      const user = await register(t, 'ls-badsig');
      const raw = event('subscription_created', user.id, { variant_id: 1001 });
      const before = await events();
      for (const signature of [
        null,
        '',
        'abc',
        sign(raw, 'another-secret-123'),
        sign(raw + ' '),
        sign(raw).slice(0, -1) + (sign(raw).endsWith('0') ? '1' : '0'),
      ]) {
        const res = await deliver(raw, signature);
        expect(res.status).toBe(401);
        expect(res.headers['content-type']).toMatch(PROBLEM);
      }
      expect(await events()).toBe(before);
      expect((await subscription(user)).planId).toBe('free');
    });

    it('signs the exact raw bytes: the same JSON re-serialised does not verify', async () => {
      const user = await register(t, 'ls-raw');
      const raw = event('subscription_created', user.id, { variant_id: 1001 });
      const spaced = JSON.stringify(JSON.parse(raw), null, 2);
      await deliver(spaced, sign(raw)).expect(401);
      await deliver(spaced, sign(spaced)).expect(200);
    });

    it('stores an unknown event name as ignored (202) and a malformed signed payload as rejected (400)', async () => {
      const user = await register(t, 'ls-shapes');
      const ignored = await deliver(event('order_created', user.id)).expect(202);
      expect(ignored.body.status).toBe('ignored');
      const cases = [
        JSON.stringify({ meta: { custom_data: { user_id: user.id } }, data: {} }),
        event('subscription_created', 'not-a-uuid', { variant_id: 1001 }),
        event('subscription_created', randomUUID(), { variant_id: 1001 }),
        event('subscription_created', user.id, { variant_id: 'DROP TABLE; --' }),
        event('subscription_created', user.id, { variant_id: 999999 }),
        event('subscription_created', user.id, {}),
        JSON.stringify({
          meta: { event_name: 'subscription_updated', custom_data: { user_id: user.id } },
        }),
        '[1,2,3]',
      ];
      const before = await n(`SELECT COUNT(*) AS n FROM webhook_events WHERE status = 'rejected'`);
      for (const raw of cases) {
        const res = await deliver(raw);
        expect([res.status, raw]).toEqual([400, raw]);
        expect(res.headers['content-type']).toMatch(PROBLEM);
      }
      expect(await n(`SELECT COUNT(*) AS n FROM webhook_events WHERE status = 'rejected'`)).toBe(
        before + cases.length,
      );
      // A rejected delivery stays rejected when replayed, and is stored once.
      await deliver(cases[1]).expect(400);
      expect(await n(`SELECT COUNT(*) AS n FROM webhook_events WHERE status = 'rejected'`)).toBe(
        before + cases.length,
      );
      expect((await subscription(user)).planId).toBe('free');
    });

    it('refuses bodies that are not JSON (415) or too large (413), storing nothing', async () => {
      const before = await events();
      const text = await t.http
        .post('/v1/billing/webhooks/lemonsqueezy')
        .set('Content-Type', 'text/plain')
        .set('X-Signature', sign('hello'))
        .send('hello');
      expect(text.status).toBe(415);
      const big = JSON.stringify({ meta: { event_name: 'x' }, pad: 'x'.repeat(2 * 1024 * 1024) });
      const large = await deliver(big);
      expect(large.status).toBe(413);
      await deliver('{"meta": ').expect(400);
      expect(await events()).toBe(before);
    });
  });

  describe('API keys', () => {
    let owner: Actor;
    let entityId: string;

    beforeAll(async () => {
      owner = await register(t, 'keys');
      const res = await t.http
        .post('/v1/entities')
        .set(bearer(owner))
        .send({ name: 'Key Org' })
        .expect(201);
      entityId = res.body.id;
    });

    const createKey = async (who: Actor, body: Record<string, unknown>) =>
      t.http.post('/v1/api-keys').set(bearer(who)).send(body);

    it('creates a key shown once, lists it without the secret, and authenticates with both headers', async () => {
      const res = await createKey(owner, { name: 'ci', scopes: ['leads:read', 'tasks:read'] });
      expect(res.status).toBe(201);
      expect(res.body.key).toMatch(/^ck_live_[0-9A-Za-z]{43}$/);
      expect(res.body).toMatchObject({
        name: 'ci',
        scopes: ['leads:read', 'tasks:read'],
        usageCount: 0,
        revokedAt: null,
        expiresAt: null,
      });
      expect(res.body.prefix).toBe(res.body.key.slice(0, 12));
      const list = await t.http.get('/v1/api-keys').set(bearer(owner)).expect(200);
      expect(list.body.items).toHaveLength(1);
      expect(JSON.stringify(list.body)).not.toContain(res.body.key);
      expect(list.body.items[0]).not.toHaveProperty('key');
      expect(list.body.items[0]).not.toHaveProperty('keyHash');
      const [stored] = await q(`SELECT key_hash FROM api_keys WHERE id = '${res.body.id}'`);
      expect(stored.key_hash).toMatch(/^[0-9a-f]{64}$/);

      await t.http
        .get(`/v1/entities/${entityId}/leads`)
        .set('Authorization', `Bearer ${res.body.key}`)
        .expect(200);
      await t.http.get(`/v1/entities/${entityId}/leads`).set('X-API-Key', res.body.key).expect(200);
      const me = await t.http.get('/v1/auth/me').set('X-API-Key', res.body.key).expect(200);
      expect(me.body.id).toBe(owner.id);
    });

    it('answers 403 when the key lacks the route’s scope', async () => {
      const res = await createKey(owner, { name: 'tasks only', scopes: ['tasks:read'] });
      const denied = await t.http
        .get(`/v1/entities/${entityId}/leads`)
        .set('X-API-Key', res.body.key);
      expect(denied.status).toBe(403);
      expect(denied.headers['content-type']).toMatch(PROBLEM);
    });

    it('answers 401 from the next request on after the key is revoked', async () => {
      const res = await createKey(owner, { name: 'revoke me', scopes: ['leads:read'] });
      await t.http.get(`/v1/entities/${entityId}/leads`).set('X-API-Key', res.body.key).expect(200);
      await t.http.delete(`/v1/api-keys/${res.body.id}`).set(bearer(owner)).expect(204);
      await t.http.get(`/v1/entities/${entityId}/leads`).set('X-API-Key', res.body.key).expect(401);
      await t.http.delete(`/v1/api-keys/${res.body.id}`).set(bearer(owner)).expect(204);
      const list = await t.http.get('/v1/api-keys').set(bearer(owner)).expect(200);
      expect(
        list.body.items.find((k: { id: string }) => k.id === res.body.id).revokedAt,
      ).not.toBeNull();
    });

    it('answers 404 to revoking another user’s key, which keeps working', async () => {
      const other = await register(t, 'keys-other');
      const res = await createKey(other, { name: 'theirs', scopes: ['tasks:read'] });
      await t.http.delete(`/v1/api-keys/${res.body.id}`).set(bearer(owner)).expect(404);
      await t.http.get('/v1/auth/me').set('X-API-Key', res.body.key).expect(200);
    });

    it('answers 401 once the key has expired (injected clock)', async () => {
      const res = await createKey(owner, {
        name: 'short-lived',
        scopes: ['leads:read'],
        expiresAt: new Date(clock.now().getTime() + 3600_000).toISOString(),
      });
      await t.http.get('/v1/auth/me').set('X-API-Key', res.body.key).expect(200);
      clock.advance(3600_001);
      await t.http.get('/v1/auth/me').set('X-API-Key', res.body.key).expect(401);
    });

    it('answers 401 to the key of a user who was deactivated', async () => {
      const user = await register(t, 'keys-deactivated');
      const res = await createKey(user, { name: 'k', scopes: ['tasks:read'] });
      await t.http.get('/v1/auth/me').set('X-API-Key', res.body.key).expect(200);
      await deactivate(t, admin, user);
      await t.http.get('/v1/auth/me').set('X-API-Key', res.body.key).expect(401);
    });

    it('refuses to create or revoke keys with an API key (403)', async () => {
      const res = await createKey(owner, { name: 'worker', scopes: ['tasks:work'] });
      await t.http
        .post('/v1/api-keys')
        .set('X-API-Key', res.body.key)
        .send({ name: 'x', scopes: ['leads:write'] })
        .expect(403);
      await t.http.delete(`/v1/api-keys/${res.body.id}`).set('X-API-Key', res.body.key).expect(403);
    });

    it('answers 400 to long names, unknown scopes and past expiry, creating nothing', async () => {
      const before = await n('SELECT COUNT(*) AS n FROM api_keys');
      for (const body of [
        { name: 'x'.repeat(10 * 1024), scopes: ['tasks:read'] },
        { name: '', scopes: ['tasks:read'] },
        { name: 'k', scopes: ['admin'] },
        { name: 'k', scopes: [] },
        { name: 'k', scopes: 'tasks:read' },
        {
          name: 'k',
          scopes: ['tasks:read'],
          expiresAt: new Date(clock.now().getTime() - 1000).toISOString(),
        },
        { name: 'k', scopes: ['tasks:read'], expiresAt: 'tomorrow' },
      ]) {
        const res = await createKey(owner, body);
        expect([res.status, JSON.stringify(body).slice(0, 60)]).toEqual([
          400,
          JSON.stringify(body).slice(0, 60),
        ]);
      }
      expect(await n('SELECT COUNT(*) AS n FROM api_keys')).toBe(before);
    });

    it('counts uses in memory and writes them as increments (no write per request)', async () => {
      const res = await createKey(owner, { name: 'counted', scopes: ['tasks:read'] });
      for (let i = 0; i < 3; i++)
        await t.http.get('/v1/auth/me').set('X-API-Key', res.body.key).expect(200);
      const [before] = await q(`SELECT usage_count FROM api_keys WHERE id = '${res.body.id}'`);
      expect(Number(before.usage_count)).toBe(0);
      await t.app.get(ApiKeysService).flushUsage();
      const list = await t.http.get('/v1/api-keys?limit=100').set(bearer(owner)).expect(200);
      const key = list.body.items.find((k: { id: string }) => k.id === res.body.id);
      expect(key).toMatchObject({ usageCount: 3, lastUsedAt: clock.now().toISOString() });
    });
  });
});

import { ApiKeysService } from '../src/billing/api-keys.service';
