import { addMember, createEntity, registerUser, TestUser } from './support/identity';
import { startTestApp, TestApp } from './support/test-app';

const PROBLEM = /^application\/problem\+json/;
const STRONG_TAG = /^"[^"]+"$/;

/**
 * One versioned resource as the table-driven cases see it: where it is read, how it is
 * changed (a body per attempt, so concurrent writers send different values), how it is
 * deleted, and a projection of its row to prove a refused write changed nothing.
 */
interface VersionedCase {
  name: string;
  /** `url` serves GET and DELETE, `patchUrl` (default `url`) the PATCH; no DELETE when they differ. */
  create(): Promise<{ url: string; patchUrl?: string }>;
  patch(i: number): Record<string, unknown>;
  /** The field the PATCH changes, read back from the GET answer. */
  field: string;
  who(): TestUser;
  /** Default true: PostgreSQL and SQLite both hold the one-winner rule for this resource. */
  concurrent?: boolean;
}

describe('optimistic concurrency (ETag / If-Match / If-None-Match)', () => {
  let t: TestApp;
  let owner: TestUser;
  let entityId: string;
  let seq = 0;
  let self: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ label: 'concurrency' });
    owner = await registerUser(t.http);
    entityId = await createEntity(t.http, owner);
  });

  afterAll(async () => {
    await t?.close();
  });

  const cases: VersionedCase[] = [
    {
      name: 'lead',
      field: 'notes',
      who: () => owner,
      async create() {
        seq++;
        const res = await t.http
          .post(`/v1/entities/${entityId}/leads`)
          .set(owner.auth)
          .send({ firstName: 'Ada', lastName: 'Lovelace', email: `ada${seq}@example.com` })
          .expect(201);
        return { url: `/v1/entities/${entityId}/leads/${res.body.id}` };
      },
      patch: (i) => ({ notes: `note ${i}` }),
    },
    {
      name: 'lead (status change)',
      field: 'status',
      who: () => owner,
      async create() {
        seq++;
        const res = await t.http
          .post(`/v1/entities/${entityId}/leads`)
          .set(owner.auth)
          .send({ firstName: 'Grace', lastName: 'Hopper', email: `grace${seq}@example.com` })
          .expect(201);
        return { url: `/v1/entities/${entityId}/leads/${res.body.id}` };
      },
      // Notes too, so that every attempt writes (a same-status PATCH alone is a no-op).
      patch: (i) => ({ status: i % 2 === 0 ? 'REACHED_OUT' : 'PENDING', notes: `status ${i}` }),
    },
    {
      name: 'entity',
      field: 'name',
      who: () => owner,
      async create() {
        const id = await createEntity(t.http, owner);
        return { url: `/v1/entities/${id}` };
      },
      patch: (i) => ({ name: `Renamed ${i}` }),
    },
    {
      name: 'user (GET /users/{id}, PATCH /users/me)',
      field: 'firstName',
      who: () => self,
      async create() {
        self = await registerUser(t.http);
        return { url: `/v1/users/${self.user.id}`, patchUrl: '/v1/users/me' };
      },
      patch: (i) => ({ firstName: `Name ${i}` }),
    },
    {
      name: 'crawl',
      field: 'companyName',
      who: () => owner,
      async create() {
        seq++;
        const res = await t.http
          .post(`/v1/entities/${entityId}/crawls`)
          .set(owner.auth)
          .send({ websiteUrl: `https://site-${seq}.example.com/` })
          .expect(201);
        return { url: `/v1/entities/${entityId}/crawls/${res.body.id}` };
      },
      patch: (i) => ({ companyName: `Company ${i}` }),
    },
    {
      name: 'analysis',
      field: 'result',
      who: () => owner,
      async create() {
        const res = await t.http
          .post('/v1/analyses')
          .set(owner.auth)
          .send({ name: 'Prices', analysisType: 'summary', parameters: { column: 'price' } })
          .expect(201);
        return { url: `/v1/analyses/${res.body.id}` };
      },
      patch: (i) => ({ status: 'processing', result: { attempt: i } }),
    },
  ];

  describe.each(cases)('$name', (c) => {
    let url: string;
    let patchUrl: string;
    let deleteUrl: string | null;

    beforeEach(async () => {
      const made = await c.create();
      url = made.url;
      patchUrl = made.patchUrl ?? made.url;
      deleteUrl = made.patchUrl ? null : made.url;
    });

    const get = (headers: Record<string, string> = {}) =>
      t.http.get(url).set(c.who().auth).set(headers);
    const patch = (body: Record<string, unknown>, ifMatch?: string) => {
      const req = t.http.patch(patchUrl).set(c.who().auth);
      return (ifMatch ? req.set('If-Match', ifMatch) : req).send(body);
    };

    it('GET answers a strong ETag; PATCH with it → 200 and a new ETag; the old one → 412, nothing written', async () => {
      const first = await get().expect(200);
      const etag = first.headers.etag;
      expect(etag).toMatch(STRONG_TAG);
      expect(typeof first.body.version).toBe('number');

      const changed = await patch(c.patch(0), etag).expect(200);
      expect(changed.headers.etag).toMatch(STRONG_TAG);
      expect(changed.headers.etag).not.toBe(etag);
      expect(changed.body.version).toBe(first.body.version + 1);

      const stale = await patch(c.patch(1), etag);
      expect(stale.status).toBe(412);
      expect(stale.headers['content-type']).toMatch(PROBLEM);
      expect(stale.body.type).toBe('/problems/precondition-failed');
      expect(stale.headers.etag).toBe(changed.headers.etag);
      expect(stale.body.currentEtag).toBe(changed.headers.etag);

      const after = await get().expect(200);
      expect(after.headers.etag).toBe(changed.headers.etag);
      expect(after.body[c.field]).toEqual(changed.body[c.field]);
    });

    it('If-None-Match with the current ETag → 304 with no body; after a write → 200 again', async () => {
      const first = await get().expect(200);
      const etag = first.headers.etag;
      const notModified = await get({ 'If-None-Match': etag });
      expect(notModified.status).toBe(304);
      expect(notModified.text ?? '').toBe('');
      expect(notModified.headers.etag).toBe(etag);
      // A list with the tag, and the weak form, match too (weak comparison, RFC 9110 §13.1.2).
      await get({ 'If-None-Match': `"other", W/${etag}` }).expect(304);

      await patch(c.patch(2)).expect(200); // no If-Match: unconditional, as older clients do
      const fresh = await get({ 'If-None-Match': etag }).expect(200);
      expect(fresh.headers.etag).not.toBe(etag);
    });

    it('If-Match "*" or a list holding the current tag passes; a malformed one is a 400, a weak one a 412', async () => {
      const { headers } = await get().expect(200);
      await patch(c.patch(3), '*').expect(200);
      const { headers: now } = await get().expect(200);
      await patch(c.patch(4), `"lead-elsewhere-1", ${now.etag}`).expect(200);
      const bad = await patch(c.patch(5), 'not-a-tag');
      expect(bad.status).toBe(400);
      expect(bad.headers['content-type']).toMatch(PROBLEM);
      const { headers: latest } = await get().expect(200);
      await patch(c.patch(6), `W/${latest.etag}`).expect(412);
      expect(headers.etag).not.toBe(latest.etag);
    });

    it('ten concurrent PATCHes with one If-Match → exactly one 200 and nine 412', async () => {
      if (c.concurrent === false) return;
      const { headers } = await get().expect(200);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => patch(c.patch(i + 10), headers.etag)),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([200, ...Array(9).fill(412)]);
      const winner = answers.find((a) => a.status === 200)!;
      const after = await get().expect(200);
      expect(after.headers.etag).toBe(winner.headers.etag);
      expect(after.body[c.field]).toEqual(winner.body[c.field]);
    });

    it('DELETE with a stale If-Match → 412 and the resource stays; with the current one → 204', async () => {
      if (!deleteUrl) return; // no DELETE route (users)
      const { headers } = await get().expect(200);
      await patch(c.patch(7)).expect(200);
      const refused = await t.http.delete(url).set(c.who().auth).set('If-Match', headers.etag);
      expect(refused.status).toBe(412);
      expect(refused.headers['content-type']).toMatch(PROBLEM);
      const { headers: now } = await get().expect(200);
      expect(refused.headers.etag).toBe(now.etag);
      await t.http.delete(url).set(c.who().auth).set('If-Match', now.etag).expect(204);
      await get().expect(404);
    });
  });

  describe('membership (role PATCH and DELETE of a member)', () => {
    it('PATCH with If-Match → 200 and a new ETag; stale → 412 with the current one; DELETE stale → 412, then 204', async () => {
      const org = await createEntity(t.http, owner);
      const member = await registerUser(t.http);
      await addMember(t.http, owner, org, member, 'member');
      const members = await t.http.get(`/v1/entities/${org}/members`).set(owner.auth).expect(200);
      const row = members.body.items.find((m: { userId: string }) => m.userId === member.user.id);
      const path = `/v1/entities/${org}/members/${member.user.id}`;
      const tag = `"member-${org}-${member.user.id}-${row.version}"`;
      const changed = await t.http
        .patch(path)
        .set(owner.auth)
        .set('If-Match', tag)
        .send({ role: 'admin' })
        .expect(200);
      expect(changed.body.version).toBe(row.version + 1);
      expect(changed.headers.etag).toBe(`"member-${org}-${member.user.id}-${row.version + 1}"`);
      const stale = await t.http
        .patch(path)
        .set(owner.auth)
        .set('If-Match', tag)
        .send({ role: 'member' });
      expect(stale.status).toBe(412);
      expect(stale.headers.etag).toBe(changed.headers.etag);
      const answers = await Promise.all(
        // admin → member five times at once with one tag: one applies, four find another version.
        Array.from({ length: 5 }, () =>
          t.http
            .patch(path)
            .set(owner.auth)
            .set('If-Match', changed.headers.etag)
            .send({ role: 'member' }),
        ),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 412, 412, 412, 412]);
      const refused = await t.http.delete(path).set(owner.auth).set('If-Match', tag);
      expect(refused.status).toBe(412);
      const now = await t.http.get(`/v1/entities/${org}/members`).set(owner.auth).expect(200);
      expect(now.body.items.map((m: { userId: string }) => m.userId)).toContain(member.user.id);
      const current = answers.find((a) => a.status === 200)!.headers.etag;
      await t.http.delete(path).set(owner.auth).set('If-Match', current).expect(204);
    });
  });

  describe('task (state-change POST)', () => {
    const config = {
      targetUrl: 'https://example.com/products',
      containerSelector: '.product',
      fields: { title: { type: 'text', selector: 'h2' } },
    };
    const newTask = async () => {
      const res = await t.http
        .post('/v1/tasks')
        .set(owner.auth)
        .send({ name: 'Scrape', config })
        .expect(201);
      return `/v1/tasks/${res.body.id}`;
    };

    it('GET answers an ETag and 304 on If-None-Match; cancel with a stale If-Match → 412, with the current one → 200', async () => {
      const url = await newTask();
      const first = await t.http.get(url).set(owner.auth).expect(200);
      expect(first.headers.etag).toMatch(STRONG_TAG);
      await t.http.get(url).set(owner.auth).set('If-None-Match', first.headers.etag).expect(304);
      const stale = await t.http
        .post(`${url}/cancel`)
        .set(owner.auth)
        .set(
          'If-Match',
          first.headers.etag.replace(/-(\d+)"$/, (_, v) => `-${Number(v) + 1}"`),
        );
      expect(stale.status).toBe(412);
      expect(stale.headers.etag).toBe(first.headers.etag);
      expect((await t.http.get(url).set(owner.auth).expect(200)).body.status).toBe('pending');
      const cancelled = await t.http
        .post(`${url}/cancel`)
        .set(owner.auth)
        .set('If-Match', first.headers.etag)
        .expect(200);
      expect(cancelled.body.status).toBe('cancelled');
      expect(cancelled.headers.etag).not.toBe(first.headers.etag);
    });

    it('ten concurrent cancels with one If-Match → one 200, nine 412', async () => {
      const url = await newTask();
      const { headers } = await t.http.get(url).set(owner.auth).expect(200);
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          t.http.post(`${url}/cancel`).set(owner.auth).set('If-Match', headers.etag),
        ),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array(9).fill(412)]);
    });
  });
});
