import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { FixedClock } from '../src/common/clock/clock';
import { IdempotencyPurge } from '../src/common/idempotency/idempotency.module';
import { pdf } from './support/documents';
import { createEntity, registerUser, TestUser } from './support/identity';
import { startTestApp, TestApp } from './support/test-app';

const PROBLEM = /^application\/problem\+json/;
const TTL_SECONDS = 3600;

/** Idempotency-Key on the @Idempotent() routes (README, "Idempotency"), SQLite and PostgreSQL. */
describe('Idempotency-Key', () => {
  let t: TestApp;
  let uploads: string;
  const clock = new FixedClock(new Date());
  let alice: TestUser;
  let bob: TestUser;
  let entityId: string;
  let seq = 0;

  const count = async (table: string, where = '1=1') =>
    Number((await t.db.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`))[0].n);
  const leads = () => `/v1/entities/${entityId}/leads`;
  const leadBody = () => {
    seq++;
    return { firstName: 'Ida', lastName: `Empotent${seq}`, email: `idem${seq}@example.com` };
  };

  beforeAll(async () => {
    uploads = mkdtempSync(join(tmpdir(), 'cs-idem-'));
    t = await startTestApp({
      label: 'idempotency',
      clock,
      env: {
        UPLOAD_DIR: uploads,
        IDEMPOTENCY_TTL_SECONDS: String(TTL_SECONDS),
        IDEMPOTENCY_PURGE_SECONDS: '0',
        // The expiry test moves the clock past the TTL: tokens must outlive it.
        JWT_EXPIRES_IN: '30d',
      },
    });
    alice = await registerUser(t.http);
    bob = await registerUser(t.http);
    entityId = await createEntity(t.http, alice);
  });

  afterAll(async () => {
    await t?.close();
    rmSync(uploads, { recursive: true, force: true });
  });

  it('replays the stored response for the same key and body: identical body, one row', async () => {
    const key = randomUUID();
    const body = leadBody();
    const first = await t.http.post(leads()).set(alice.auth).set('Idempotency-Key', key).send(body);
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    const again = await t.http.post(leads()).set(alice.auth).set('Idempotency-Key', key).send(body);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['content-type']).toMatch(/^application\/json/);
    expect(again.text).toBe(first.text);
    expect(await count('leads', `email = '${body.email}'`)).toBe(1);
  });

  it('answers 422 problem+json to the same key with a different body, and executes nothing', async () => {
    const key = randomUUID();
    const body = leadBody();
    await t.http.post(leads()).set(alice.auth).set('Idempotency-Key', key).send(body).expect(201);
    const other = leadBody();
    const res = await t.http.post(leads()).set(alice.auth).set('Idempotency-Key', key).send(other);
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.detail).toMatch(/different request/);
    expect(await count('leads', `email = '${other.email}'`)).toBe(0);
  });

  it('answers 422 to the same key on another route', async () => {
    const key = randomUUID();
    await t.http
      .post('/v1/entities')
      .set(alice.auth)
      .set('Idempotency-Key', key)
      .send({ name: 'Same key elsewhere' })
      .expect(201);
    const res = await t.http
      .post(leads())
      .set(alice.auth)
      .set('Idempotency-Key', key)
      .send(leadBody());
    expect(res.status).toBe(422);
  });

  it('runs 20 concurrent requests with one key once: the others get 409 with Retry-After or the replay', async () => {
    const key = randomUUID();
    const body = leadBody();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.http.post(leads()).set(alice.auth).set('Idempotency-Key', key).send(body),
      ),
    );
    const created = answers.filter(
      (r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined,
    );
    const replays = answers.filter((r) => r.headers['idempotent-replayed'] === 'true');
    const inFlight = answers.filter((r) => r.status === 409);
    expect(created).toHaveLength(1);
    expect(replays.length + inFlight.length).toBe(19);
    for (const r of replays) expect(r.text).toBe(created[0].text);
    for (const r of inFlight) {
      expect(r.headers['content-type']).toMatch(PROBLEM);
      expect(r.headers['retry-after']).toBe('1');
      expect(r.body.detail).toMatch(/still being processed/);
    }
    expect(await count('leads', `email = '${body.email}'`)).toBe(1);
  });

  it('keeps 30 concurrent keys apart (claims and completions batched together): 30 rows, 30 exact replays', async () => {
    const sent = Array.from({ length: 30 }, () => ({ key: randomUUID(), body: leadBody() }));
    const post = ({ key, body }: (typeof sent)[number]) =>
      t.http.post(leads()).set(alice.auth).set('Idempotency-Key', key).send(body);
    const firsts = await Promise.all(sent.map(post));
    for (const r of firsts) {
      expect(r.status).toBe(201);
      expect(r.headers['idempotent-replayed']).toBeUndefined();
    }
    const replays = await Promise.all(sent.map(post));
    replays.forEach((r, i) => {
      expect(r.headers['idempotent-replayed']).toBe('true');
      expect(r.text).toBe(firsts[i].text);
      expect(r.body.email).toBe(sent[i].body.email);
    });
    const emails = sent.map(({ body }) => `'${body.email}'`).join(', ');
    expect(await count('leads', `email IN (${emails})`)).toBe(30);
  });

  it('keeps keys per caller: two users with the same key do not see each other’s responses', async () => {
    const key = `shared-${randomUUID()}`;
    const a = await t.http
      .post('/v1/entities')
      .set(alice.auth)
      .set('Idempotency-Key', key)
      .send({ name: 'Alice Org' });
    const b = await t.http
      .post('/v1/entities')
      .set(bob.auth)
      .set('Idempotency-Key', key)
      .send({ name: 'Alice Org' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(b.body.id).not.toBe(a.body.id);
    const bobs = await t.http.get('/v1/entities').set(bob.auth).expect(200);
    expect(bobs.body.items.map((e: { id: string }) => e.id)).toContain(b.body.id);
  });

  it('lets a key expire after IDEMPOTENCY_TTL_SECONDS: then the request runs again, and the purge deletes it', async () => {
    const key = randomUUID();
    const send = () =>
      t.http
        .post('/v1/entities')
        .set(alice.auth)
        .set('Idempotency-Key', key)
        .send({ name: 'Expiring' });
    const first = await send().expect(201);
    clock.advance((TTL_SECONDS - 1) * 1000);
    const replay = await send().expect(201);
    expect(replay.body.id).toBe(first.body.id);
    clock.advance(2000);
    const afterExpiry = await send().expect(201);
    expect(afterExpiry.headers['idempotent-replayed']).toBeUndefined();
    expect(afterExpiry.body.id).not.toBe(first.body.id);

    const before = await count('idempotency_keys');
    clock.advance((TTL_SECONDS + 1) * 1000);
    const purged = await t.app.get(IdempotencyPurge).purgeExpired();
    expect(purged).toBe(before);
    expect(await count('idempotency_keys')).toBe(0);
  });

  it('does not store failed requests: a 400 may be retried with the same key', async () => {
    const key = randomUUID();
    await t.http
      .post(leads())
      .set(alice.auth)
      .set('Idempotency-Key', key)
      .send({ firstName: 'No email' })
      .expect(400);
    const body = leadBody();
    const res = await t.http.post(leads()).set(alice.auth).set('Idempotency-Key', key).send(body);
    expect(res.status).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
  });

  it('does nothing without the header: two requests, two rows', async () => {
    await t.http.post('/v1/entities').set(alice.auth).send({ name: 'Twice' }).expect(201);
    await t.http.post('/v1/entities').set(alice.auth).send({ name: 'Twice' }).expect(201);
    expect(await count('entities', `name = 'Twice'`)).toBe(2);
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['non-ASCII', 'clé-1'],
  ])('answers 400 to a malformed key (%s) and creates nothing', async (_, key) => {
    const before = await count('entities');
    const res = await t.http
      .post('/v1/entities')
      .set(alice.auth)
      .set('Idempotency-Key', key)
      .send({ name: 'Bad key' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(await count('entities')).toBe(before);
  });

  it('accepts a 255-character key', async () => {
    await t.http
      .post('/v1/entities')
      .set(alice.auth)
      .set('Idempotency-Key', '~'.repeat(255))
      .send({ name: 'Long key' })
      .expect(201);
  });

  describe('multipart (fingerprint: fields + file SHA-256)', () => {
    const form = (key: string, fields: Record<string, string>, file: Buffer) => {
      let req = t.http.post(leads()).set(alice.auth).set('Idempotency-Key', key);
      for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
      return req.attach('resume', file, { filename: 'cv.pdf', contentType: 'application/pdf' });
    };

    it('replays the same form (new boundary) and stores one lead; another file is a 422', async () => {
      const key = randomUUID();
      const fields = leadBody();
      const first = await form(key, fields, pdf());
      expect(first.status).toBe(201);
      const again = await form(key, fields, pdf());
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.text).toBe(first.text);
      expect(await count('leads', `email = '${fields.email}'`)).toBe(1);

      const otherFile = await form(key, fields, pdf('BT (someone else) Tj ET'));
      expect(otherFile.status).toBe(422);
      expect(otherFile.headers['content-type']).toMatch(PROBLEM);
    });
  });

  describe('public routes (scope: the client address)', () => {
    it('replays a registration: one user, the same answer', async () => {
      const key = randomUUID();
      const body = { email: `reg-${randomUUID()}@example.test`, password: 'correct horse battery' };
      const first = await t.http.post('/v1/auth/register').set('Idempotency-Key', key).send(body);
      expect(first.status).toBe(201);
      const again = await t.http.post('/v1/auth/register').set('Idempotency-Key', key).send(body);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await count('users', `email = '${body.email}'`)).toBe(1);
    });

    it('stores no response readable without the key (hashed key, encrypted body)', async () => {
      const key = `secret-key-${randomUUID()}`;
      const body = { email: `enc-${randomUUID()}@example.test`, password: 'correct horse battery' };
      const res = await t.http
        .post('/v1/auth/register')
        .set('Idempotency-Key', key)
        .send(body)
        .expect(201);
      const rows: Array<{ key_hash: string; response: string }> = await t.db.query(
        'SELECT key_hash, response FROM idempotency_keys',
      );
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain(key);
      expect(dump).not.toContain(res.body.accessToken);
      expect(dump).not.toContain(body.email);
    });
  });
});
