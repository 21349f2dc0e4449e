import { randomUUID } from 'node:crypto';
import { BillingService } from '../src/billing/billing.service';
import { FixedClock } from '../src/common/clock/clock';
import { TasksService } from '../src/tasks/tasks.service';
import { ADMIN_ENV, Actor, addMember, createEntity, loginAdmin, register } from './support/actors';
import { startTestApp, TestApp } from './support/test-app';

const PROBLEM = /^application\/problem\+json/;
const CONFIG = {
  targetUrl: 'https://example.com/products',
  containerSelector: '.product',
  fields: { title: { type: 'text', selector: 'h2' } },
  maxPages: 3,
  workerHint: { keptAsIs: true },
};

describe('tasks', () => {
  let t: TestApp;
  const clock = new FixedClock(new Date('2026-04-01T00:00:00.000Z'));
  let admin: Actor;
  let adminWorkerKey: string;
  const bearer = (who: Actor) => ({ Authorization: `Bearer ${who.token}` });
  const asKey = (key: string) => ({ 'X-API-Key': key });
  const n = async (sql: string) => Number((await t.db.query(sql))[0].n);

  async function key(who: Actor, scopes: string[]): Promise<string> {
    const res = await t.http.post('/v1/api-keys').set(bearer(who)).send({ name: 'k', scopes });
    expect(res.status).toBe(201);
    return res.body.key as string;
  }
  async function onPlan(who: Actor, plan: string): Promise<void> {
    await t.app.get(BillingService).current(who.id);
    await t.db.query(
      `UPDATE user_subscriptions SET plan_id = '${plan}' WHERE user_id = '${who.id}' AND status = 'active'`,
    );
  }
  async function createTask(who: Actor, body: Record<string, unknown> = {}) {
    clock.advance(1000);
    return t.http
      .post('/v1/tasks')
      .set(bearer(who))
      .send({ name: 'Scrape products', config: CONFIG, ...body });
  }
  const claim = (workerKey: string, workerId = 'worker-1', leaseSeconds = 60) =>
    t.http.post('/v1/tasks/claim').set(asKey(workerKey)).send({ workerId, leaseSeconds });
  const used = async (who: Actor) =>
    (await t.http.get('/v1/billing/subscription').set(bearer(who)).expect(200)).body.computeUnits
      .used;
  const sweep = () => t.app.get(TasksService).sweepExpiredLeases();

  beforeAll(async () => {
    t = await startTestApp({
      label: 'tasks',
      clock,
      env: { ...ADMIN_ENV, JWT_EXPIRES_IN: '3650d', TASK_LEASE_SWEEP_SECONDS: '0' },
    });
    admin = await loginAdmin(t);
    adminWorkerKey = await key(admin, ['tasks:work']);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('runs the whole lifecycle: create, claim, heartbeat, logs, complete, charged once', async () => {
    const owner = await register(t, 'life');
    await onPlan(owner, 'starter');
    const worker = await key(owner, ['tasks:work']);
    const created = await createTask(owner, { priority: 5 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'pending',
      priority: 5,
      attempts: 0,
      maxAttempts: 3,
      config: CONFIG,
      isFinished: false,
      canBeCancelled: true,
      durationSeconds: null,
    });
    const id = created.body.id as string;
    const list = await t.http.get('/v1/tasks').set(bearer(owner)).expect(200);
    expect(list.body.items.map((x: { id: string }) => x.id)).toEqual([id]);
    expect(list.body.items[0]).not.toHaveProperty('config');

    const claimed = await claim(worker, 'w-life', 120);
    expect(claimed.status).toBe(200);
    expect(claimed.body).toMatchObject({
      id,
      status: 'running',
      attempts: 1,
      claimedBy: 'w-life',
      startedAt: clock.now().toISOString(),
      leaseExpiresAt: new Date(clock.now().getTime() + 120_000).toISOString(),
      config: CONFIG,
    });
    const started = clock.now().getTime();

    clock.advance(60_000);
    const beat = await t.http
      .post(`/v1/tasks/${id}/heartbeat`)
      .set(asKey(worker))
      .send({ workerId: 'w-life' })
      .expect(200);
    expect(beat.body.leaseExpiresAt).toBe(new Date(clock.now().getTime() + 120_000).toISOString());

    const batch = await t.http
      .post(`/v1/tasks/${id}/logs`)
      .set(asKey(worker))
      .send({
        entries: [
          { level: 'info', message: 'first' },
          { level: 'debug', message: 'second', metadata: { page: 1 } },
          { level: 'error', message: 'third' },
        ],
      })
      .expect(201);
    expect(batch.body).toEqual({ written: 3 });
    await t.http
      .post(`/v1/tasks/${id}/logs`)
      .set(asKey(worker))
      .send({ workerId: 'w-life', level: 'info', message: 'fourth' })
      .expect(201);
    const logs = await t.http.get(`/v1/tasks/${id}/logs?limit=2`).set(bearer(owner)).expect(200);
    expect(logs.body.items.map((l: { message: string }) => l.message)).toEqual(['first', 'second']);
    expect(logs.body.items[1].metadata).toEqual({ page: 1 });
    const rest = await t.http
      .get(`/v1/tasks/${id}/logs?limit=2&cursor=${logs.body.nextCursor}`)
      .set(bearer(owner))
      .expect(200);
    expect(rest.body.items.map((l: { message: string }) => l.message)).toEqual(['third', 'fourth']);
    const errors = await t.http
      .get(`/v1/tasks/${id}/logs?level=error`)
      .set(bearer(owner))
      .expect(200);
    expect(errors.body.items.map((l: { message: string }) => l.message)).toEqual(['third']);

    clock.advance(30_000);
    const done = await t.http
      .post(`/v1/tasks/${id}/complete`)
      .set(asKey(worker))
      .send({ workerId: 'w-life', result: { items: [{ title: 'A' }] } })
      .expect(200);
    expect(done.body).toMatchObject({
      status: 'completed',
      computeUnitsConsumed: 2,
      result: { items: [{ title: 'A' }] },
      isFinished: true,
      canBeCancelled: false,
      durationSeconds: (clock.now().getTime() - started) / 1000,
    });
    expect(await used(owner)).toBe(2);
    const ledger = await t.http.get('/v1/billing/usage').set(bearer(owner)).expect(200);
    expect(ledger.body.items).toEqual([expect.objectContaining({ taskId: id, delta: 2 })]);

    const again = await t.http
      .post(`/v1/tasks/${id}/complete`)
      .set(asKey(worker))
      .send({ workerId: 'w-life' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ currentStatus: 'completed' });
    await t.http
      .post(`/v1/tasks/${id}/fail`)
      .set(asKey(worker))
      .send({ workerId: 'w-life', error: 'late' })
      .expect(409);
    expect(await used(owner)).toBe(2);
    expect(await n(`SELECT COUNT(*) AS n FROM compute_unit_ledger WHERE task_id = '${id}'`)).toBe(
      1,
    );
  });

  it('answers 204 to a claim when nothing is pending for the worker', async () => {
    const loner = await register(t, 'idle');
    const worker = await key(loner, ['tasks:work']);
    await claim(worker).expect(204);
  });

  it('claims the highest priority first, then the oldest', async () => {
    const owner = await register(t, 'order');
    await onPlan(owner, 'professional');
    const worker = await key(owner, ['tasks:work']);
    const low = (await createTask(owner, { priority: -5 })).body.id;
    const old = (await createTask(owner, { priority: 10 })).body.id;
    const young = (await createTask(owner, { priority: 10 })).body.id;
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await claim(worker, `w${i}`)).body.id);
    expect(order).toEqual([old, young, low]);
  });

  it('answers 402 (quota-exceeded) when no compute units are left', async () => {
    const broke = await register(t, 'broke');
    await t.app.get(BillingService).consumeComputeUnits(broke.id, 100, null, 'used up');
    const res = await createTask(broke);
    expect(res.status).toBe(402);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.type).toBe('/problems/quota-exceeded');
    expect(await n(`SELECT COUNT(*) AS n FROM tasks WHERE user_id = '${broke.id}'`)).toBe(0);
  });

  it('answers 409 (concurrency-limit) at the plan’s cap of pending + running tasks', async () => {
    const free = await register(t, 'cap');
    expect((await createTask(free)).status).toBe(201);
    const res = await createTask(free);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ type: '/problems/concurrency-limit', maxConcurrentTasks: 1 });
    expect(await n(`SELECT COUNT(*) AS n FROM tasks WHERE user_id = '${free.id}'`)).toBe(1);
  });

  describe('cancel', () => {
    it('cancels pending tasks once (409 with the current status after), and charges a running one', async () => {
      const owner = await register(t, 'cancel');
      await onPlan(owner, 'starter');
      const worker = await key(owner, ['tasks:work']);
      const pending = (await createTask(owner)).body.id;
      const res = await t.http.post(`/v1/tasks/${pending}/cancel`).set(bearer(owner)).expect(200);
      expect(res.body).toMatchObject({ status: 'cancelled', canBeCancelled: false });
      const again = await t.http.post(`/v1/tasks/${pending}/cancel`).set(bearer(owner));
      expect(again.status).toBe(409);
      expect(again.body.currentStatus).toBe('cancelled');

      const running = (await createTask(owner)).body.id;
      await claim(worker, 'w-c').expect(200);
      clock.advance(150_000);
      const stopped = await t.http
        .post(`/v1/tasks/${running}/cancel`)
        .set(bearer(owner))
        .expect(200);
      expect(stopped.body).toMatchObject({ status: 'cancelled', computeUnitsConsumed: 3 });
      await t.http
        .post(`/v1/tasks/${running}/complete`)
        .set(asKey(worker))
        .send({ workerId: 'w-c' })
        .expect(409);
      expect(await used(owner)).toBe(3);
    });

    it('lets an entity admin cancel a member’s task, and refuses another member (403)', async () => {
      const owner = await register(t, 'org-owner');
      const creator = await register(t, 'org-creator');
      const bystander = await register(t, 'org-member');
      const entityId = await createEntity(t, owner);
      await addMember(t, owner, entityId, creator, 'member');
      await addMember(t, owner, entityId, bystander, 'member');
      const id = (await createTask(creator, { entityId })).body.id;
      const seen = await t.http
        .get(`/v1/tasks?entityId=${entityId}`)
        .set(bearer(bystander))
        .expect(200);
      expect(seen.body.items.map((x: { id: string }) => x.id)).toEqual([id]);
      await t.http.get(`/v1/tasks/${id}`).set(bearer(bystander)).expect(200);
      await t.http.post(`/v1/tasks/${id}/cancel`).set(bearer(bystander)).expect(403);
      await t.http.post(`/v1/tasks/${id}/cancel`).set(bearer(owner)).expect(200);
    });

    it('answers 404 to a task or list of an entity the caller is not a member of', async () => {
      const outsider = await register(t, 'org-outsider');
      const owner = await register(t, 'org-owner2');
      const entityId = await createEntity(t, owner);
      expect((await createTask(outsider, { entityId })).status).toBe(404);
      await t.http.get(`/v1/tasks?entityId=${entityId}`).set(bearer(outsider)).expect(404);
    });
  });

  describe('leases and retries', () => {
    it('returns an expired lease to pending, then fails the task after max attempts, logging why and charging each attempt', async () => {
      const owner = await register(t, 'lease');
      await onPlan(owner, 'starter');
      const worker = await key(owner, ['tasks:work']);
      const id = (await createTask(owner, { maxAttempts: 2 })).body.id;
      await claim(worker, 'w-dead', 30).expect(200);
      const status = async () =>
        (await t.http.get(`/v1/tasks/${id}`).set(bearer(owner)).expect(200)).body.status;
      clock.advance(29_000);
      await sweep();
      expect(await status()).toBe('running');
      clock.advance(2_000);
      // Other suites' tasks may expire too: the sweep answers counts over the whole queue.
      expect((await sweep()).requeued).toBeGreaterThanOrEqual(1);
      let task = (await t.http.get(`/v1/tasks/${id}`).set(bearer(owner)).expect(200)).body;
      expect(task).toMatchObject({
        status: 'pending',
        attempts: 1,
        claimedBy: null,
        computeUnitsConsumed: 1,
      });
      // The dead worker comes back too late.
      const late = await t.http
        .post(`/v1/tasks/${id}/complete`)
        .set(asKey(worker))
        .send({ workerId: 'w-dead' });
      expect(late.status).toBe(409);
      expect(late.body.currentStatus).toBe('pending');

      await claim(worker, 'w-dead-2', 30).expect(200);
      clock.advance(31_000);
      expect((await sweep()).failed).toBeGreaterThanOrEqual(1);
      task = (await t.http.get(`/v1/tasks/${id}`).set(bearer(owner)).expect(200)).body;
      expect(task).toMatchObject({
        status: 'failed',
        attempts: 2,
        errorMessage: 'Lease expired',
        computeUnitsConsumed: 2,
      });
      const logs = (await t.http.get(`/v1/tasks/${id}/logs`).set(bearer(owner)).expect(200)).body
        .items;
      expect(logs.map((l: { level: string }) => l.level)).toEqual(['warning', 'error']);
      expect(logs[0].message).toMatch(/w-dead.*back to pending/);
      expect(logs[1].message).toMatch(/w-dead-2.*task failed/);
      expect(await used(owner)).toBe(2);
    });

    it('retries a retryable failure while attempts are left, then fails for good', async () => {
      const owner = await register(t, 'retry');
      await onPlan(owner, 'starter');
      const worker = await key(owner, ['tasks:work']);
      const id = (await createTask(owner, { maxAttempts: 2 })).body.id;
      await claim(worker, 'w-r').expect(200);
      clock.advance(61_000);
      const first = await t.http
        .post(`/v1/tasks/${id}/fail`)
        .set(asKey(worker))
        .send({ workerId: 'w-r', error: 'timeout', retryable: true })
        .expect(200);
      expect(first.body).toMatchObject({
        status: 'pending',
        attempts: 1,
        errorMessage: 'timeout',
        computeUnitsConsumed: 2,
      });
      await claim(worker, 'w-r2').expect(200);
      const second = await t.http
        .post(`/v1/tasks/${id}/fail`)
        .set(asKey(worker))
        .send({ workerId: 'w-r2', error: 'timeout again', retryable: true })
        .expect(200);
      expect(second.body).toMatchObject({ status: 'failed', attempts: 2, computeUnitsConsumed: 3 });
      expect(await used(owner)).toBe(3);

      const other = (await createTask(owner)).body.id;
      await claim(worker, 'w-x').expect(200);
      const fatal = await t.http
        .post(`/v1/tasks/${other}/fail`)
        .set(asKey(worker))
        .send({ workerId: 'w-x', error: 'bad config' })
        .expect(200);
      expect(fatal.body).toMatchObject({ status: 'failed', attempts: 1 });
    });

    it('caps the charge at what the subscription has left', async () => {
      const owner = await register(t, 'capped');
      const worker = await key(owner, ['tasks:work']);
      await t.app.get(BillingService).consumeComputeUnits(owner.id, 95, null, 'almost all');
      const id = (await createTask(owner)).body.id;
      await claim(worker, 'w-cap').expect(200);
      clock.advance(10 * 60_000);
      const done = await t.http
        .post(`/v1/tasks/${id}/complete`)
        .set(asKey(worker))
        .send({ workerId: 'w-cap' })
        .expect(200);
      expect(done.body.computeUnitsConsumed).toBe(5);
      expect(await used(owner)).toBe(100);
    });

    it('answers 409 to a worker acting on a task another worker holds', async () => {
      const owner = await register(t, 'holder');
      const worker = await key(owner, ['tasks:work']);
      const id = (await createTask(owner)).body.id;
      await claim(worker, 'w-holder').expect(200);
      for (const [path, body] of [
        ['heartbeat', { workerId: 'w-other' }],
        ['complete', { workerId: 'w-other' }],
        ['fail', { workerId: 'w-other', error: 'x' }],
        ['logs', { workerId: 'w-other', level: 'info', message: 'x' }],
      ] as const) {
        const res = await t.http.post(`/v1/tasks/${id}/${path}`).set(asKey(worker)).send(body);
        expect([path, res.status, res.body.currentStatus]).toEqual([path, 409, 'running']);
      }
    });
  });

  describe('tenancy', () => {
    it('never hands a self-hosted worker another user’s task; a platform admin’s worker key serves the whole queue', async () => {
      const alice = await register(t, 'alice');
      const bob = await register(t, 'bob');
      const bobWorker = await key(bob, ['tasks:work']);
      const id = (await createTask(alice)).body.id;
      await claim(bobWorker, 'bob-w').expect(204);
      // The admin's hosted workers drain whatever is pending (other suites' tasks included) until they get Alice's.
      let got: string | undefined;
      for (let i = 0; i < 50 && got !== id; i++) {
        const res = await claim(adminWorkerKey, 'hosted-1');
        if (res.status === 204) break;
        got = res.body.id;
      }
      expect(got).toBe(id);
    });

    it('answers 404 to another user on every task route, JWT or worker key', async () => {
      const alice = await register(t, 'alice2');
      const mallory = await register(t, 'mallory');
      const malloryKey = await key(mallory, ['tasks:read', 'tasks:write', 'tasks:work']);
      const id = (await createTask(alice)).body.id;
      const calls: Array<[string, string, Record<string, unknown>?]> = [
        ['get', `/v1/tasks/${id}`],
        ['get', `/v1/tasks/${id}/logs`],
        ['post', `/v1/tasks/${id}/cancel`],
        ['post', `/v1/tasks/${id}/logs`, { level: 'info', message: 'x' }],
        ['post', `/v1/tasks/${id}/heartbeat`, { workerId: 'm' }],
        ['post', `/v1/tasks/${id}/complete`, { workerId: 'm' }],
        ['post', `/v1/tasks/${id}/fail`, { workerId: 'm', error: 'x' }],
      ];
      for (const headers of [bearer(mallory), asKey(malloryKey)]) {
        for (const [method, path, body] of calls) {
          const req = method === 'get' ? t.http.get(path) : t.http.post(path).send(body ?? {});
          const res = await req.set(headers);
          expect([path, res.status]).toEqual([path, 404]);
        }
      }
      const list = await t.http.get('/v1/tasks').set(bearer(mallory)).expect(200);
      expect(list.body.items).toEqual([]);
      expect((await t.http.get(`/v1/tasks/${id}`).set(bearer(alice)).expect(200)).body.status).toBe(
        'pending',
      );
    });

    it('answers 403 to keys without the route’s scope', async () => {
      const user = await register(t, 'scopes');
      const readOnly = await key(user, ['tasks:read']);
      await t.http
        .post('/v1/tasks')
        .set(asKey(readOnly))
        .send({ name: 'x', config: CONFIG })
        .expect(403);
      await t.http
        .post('/v1/tasks/claim')
        .set(asKey(readOnly))
        .send({ workerId: 'w', leaseSeconds: 30 })
        .expect(403);
      await t.http.get('/v1/tasks').set(asKey(readOnly)).expect(200);
    });
  });

  describe('bad input', () => {
    it('refuses invalid configs, priorities, filters, leases and log entries with 400 and writes nothing', async () => {
      const user = await register(t, 'hostile');
      await onPlan(user, 'professional');
      const worker = await key(user, ['tasks:work']);
      const before = await n('SELECT COUNT(*) AS n FROM tasks');
      const configs: unknown[] = [
        'https://example.com',
        [CONFIG],
        null,
        {},
        { targetUrl: 'javascript:alert(1)' },
        { targetUrl: 'file:///etc/passwd' },
        { targetUrl: 'data:text/html,hi' },
        { targetUrl: 'https://user:secret@example.com/' },
        { targetUrl: '/relative/path' },
        { targetUrl: 'ftp://example.com/' },
        { targetUrl: 'https://example.com', fields: { a: { type: 'text' } } },
        { targetUrl: 'https://example.com', maxPages: 0 },
        { targetUrl: 'https://example.com', pad: 'x'.repeat(65 * 1024) },
      ];
      for (const config of configs) {
        const res = await t.http.post('/v1/tasks').set(bearer(user)).send({ name: 'x', config });
        expect([res.status, JSON.stringify(config).slice(0, 50)]).toEqual([
          400,
          JSON.stringify(config).slice(0, 50),
        ]);
        expect(res.headers['content-type']).toMatch(PROBLEM);
      }
      // null on a NOT NULL optional field is refused, not passed to the database
      for (const raw of ['1e18', '101', '-101', '1.5', '"5"', 'null']) {
        const res = await t.http
          .post('/v1/tasks')
          .set(bearer(user))
          .set('Content-Type', 'application/json')
          .send(`{"name":"x","config":${JSON.stringify(CONFIG)},"priority":${raw}}`);
        expect([raw, res.status]).toEqual([raw, 400]);
      }
      await t.http
        .post('/v1/tasks')
        .set(bearer(user))
        .send({ name: 'x'.repeat(201), config: CONFIG })
        .expect(400);
      await t.http
        .post('/v1/tasks')
        .set(bearer(user))
        .send({ name: 'x', config: CONFIG, maxAttempts: 11 })
        .expect(400);
      await t.http
        .post('/v1/tasks')
        .set(bearer(user))
        .send({ name: 'x', config: CONFIG, maxAttempts: null })
        .expect(400);
      expect(await n('SELECT COUNT(*) AS n FROM tasks')).toBe(before);

      await t.http.get('/v1/tasks?status=exploded').set(bearer(user)).expect(400);
      await t.http.get('/v1/tasks?entityId=not-a-uuid').set(bearer(user)).expect(400);
      for (const leaseSeconds of [9, 3601, 'NaN', null])
        await t.http
          .post('/v1/tasks/claim')
          .set(asKey(worker))
          .send({ workerId: 'w', leaseSeconds })
          .expect(400);
      await t.http
        .post('/v1/tasks/claim')
        .set(asKey(worker))
        .send({ workerId: 'x'.repeat(101), leaseSeconds: 30 })
        .expect(400);

      const id = (await createTask(user)).body.id;
      await claim(worker, 'w-bad').expect(200);
      const logsBefore = await n('SELECT COUNT(*) AS n FROM task_logs');
      const entry = { level: 'info', message: 'ok' };
      for (const body of [
        {},
        { level: 'info' },
        { level: 'verbose', message: 'x' },
        { level: 'info', message: 'x'.repeat(10_001) },
        { level: 'info', message: 'x', metadata: { pad: 'x'.repeat(17 * 1024) } },
        { entries: [] },
        { entries: Array.from({ length: 501 }, () => entry) },
        { entries: [entry, { level: 'info', message: '' }] },
        { entries: [entry], level: 'info', message: 'both' },
      ]) {
        const res = await t.http.post(`/v1/tasks/${id}/logs`).set(asKey(worker)).send(body);
        expect([JSON.stringify(body).slice(0, 40), res.status]).toEqual([
          JSON.stringify(body).slice(0, 40),
          400,
        ]);
      }
      const huge = await t.http
        .post(`/v1/tasks/${id}/logs`)
        .set(asKey(worker))
        .send({
          entries: Array.from({ length: 200 }, () => ({
            level: 'info',
            message: 'y'.repeat(9000),
          })),
        });
      expect(huge.status).toBe(413);
      expect(await n('SELECT COUNT(*) AS n FROM task_logs')).toBe(logsBefore);
      await t.http.get(`/v1/tasks/${randomUUID()}`).set(bearer(user)).expect(404);
    });
  });
});
