import { addMember, createEntity, registerAdmin, registerUser, TestUser } from './support/identity';
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

  describe("entity (the answer shows the caller's role)", () => {
    it("members with different roles get different ETags; each one's own tag works for If-None-Match and If-Match", async () => {
      const org = await createEntity(t.http, owner);
      const admin = await registerUser(t.http);
      const member = await registerUser(t.http);
      await addMember(t.http, owner, org, admin, 'admin');
      await addMember(t.http, owner, org, member, 'member');
      const url = `/v1/entities/${org}`;
      const read = (who: TestUser, headers: Record<string, string> = {}) =>
        t.http.get(url).set(who.auth).set(headers);
      const answers = await Promise.all([owner, admin, member].map((who) => read(who).expect(200)));
      expect(answers.map((a) => a.body.role)).toEqual(['owner', 'admin', 'member']);
      expect(new Set(answers.map((a) => a.body.version)).size).toBe(1);
      const [ownerTag, adminTag, memberTag] = answers.map((a) => a.headers.etag as string);
      expect(new Set([ownerTag, adminTag, memberTag]).size).toBe(3);
      for (const tag of [ownerTag, adminTag, memberTag]) expect(tag).toMatch(STRONG_TAG);
      await read(member, { 'If-None-Match': memberTag }).expect(304);
      // Another role's tag names another body: the full answer, not a 304.
      const other = await read(member, { 'If-None-Match': ownerTag }).expect(200);
      expect(other.body.role).toBe('member');

      const renamed = await t.http
        .patch(url)
        .set(admin.auth)
        .set('If-Match', adminTag)
        .send({ name: 'Renamed by admin' })
        .expect(200);
      expect(renamed.body.role).toBe('admin');
      const adminNow = await read(admin).expect(200);
      expect(renamed.headers.etag).toBe(adminNow.headers.etag);
      const stale = await t.http
        .patch(url)
        .set(owner.auth)
        .set('If-Match', ownerTag)
        .send({ name: 'Lost update' });
      expect(stale.status).toBe(412);
      const ownerNow = await read(owner).expect(200);
      expect(stale.body.currentEtag).toBe(ownerNow.headers.etag);
      expect(stale.headers.etag).toBe(ownerNow.headers.etag);
      expect(ownerNow.body.name).toBe('Renamed by admin');
      await t.http.delete(url).set(owner.auth).set('If-Match', stale.body.currentEtag).expect(204);
    });
  });

  describe('membership (GET, role PATCH and DELETE of a member)', () => {
    /** A new organisation of the owner's with one plain member, and that member's route. */
    const newMember = async () => {
      const org = await createEntity(t.http, owner);
      const member = await registerUser(t.http);
      await addMember(t.http, owner, org, member, 'member');
      return { member, path: `/v1/entities/${org}/members/${member.user.id}` };
    };

    it('GET one member: ETag, 304, non-member → 404, unknown member → 404', async () => {
      const org = await createEntity(t.http, owner);
      const member = await registerUser(t.http);
      const outsider = await registerUser(t.http);
      await addMember(t.http, owner, org, member, 'member');
      const path = `/v1/entities/${org}/members/${owner.user.id}`;
      const one = await t.http.get(path).set(member.auth).expect(200);
      const list = await t.http.get(`/v1/entities/${org}/members`).set(member.auth).expect(200);
      expect(one.body).toEqual(
        list.body.items.find((m: { userId: string }) => m.userId === owner.user.id),
      );
      expect(one.headers.etag).toMatch(STRONG_TAG);
      await t.http.get(path).set(member.auth).set('If-None-Match', one.headers.etag).expect(304);
      // The same member, the same tag, whoever reads it (the body does not depend on the caller).
      const byOwner = await t.http.get(path).set(owner.auth).expect(200);
      expect(byOwner.headers.etag).toBe(one.headers.etag);
      const hidden = await t.http.get(path).set(outsider.auth);
      expect(hidden.status).toBe(404);
      expect(hidden.headers['content-type']).toMatch(PROBLEM);
      await t.http
        .get(`/v1/entities/${org}/members/${outsider.user.id}`)
        .set(member.auth)
        .expect(404);
    });

    it("the member's ETag changes when their user fields do (the membership's version does not)", async () => {
      const { member, path } = await newMember();
      const before = await t.http.get(path).set(owner.auth).expect(200);
      await t.http
        .patch('/v1/users/me')
        .set(member.auth)
        .send({ firstName: 'Renamed' })
        .expect(200);
      const after = await t.http
        .get(path)
        .set(owner.auth)
        .set('If-None-Match', before.headers.etag)
        .expect(200);
      expect(after.body.firstName).toBe('Renamed');
      expect(after.body.version).toBe(before.body.version);
      expect(after.headers.etag).not.toBe(before.headers.etag);
      // If-Match is about the membership's version: the tag read before still guards a role change.
      await t.http
        .patch(path)
        .set(owner.auth)
        .set('If-Match', before.headers.etag)
        .send({ role: 'admin' })
        .expect(200);
    });

    it('PATCH with the GET tag → 200 and a new ETag; stale → 412 with the current one; DELETE stale → 412, then 204', async () => {
      const { path } = await newMember();
      const read = () => t.http.get(path).set(owner.auth).expect(200);
      const first = await read();
      const tag = first.headers.etag as string;
      const changed = await t.http
        .patch(path)
        .set(owner.auth)
        .set('If-Match', tag)
        .send({ role: 'admin' })
        .expect(200);
      expect(changed.body.version).toBe(first.body.version + 1);
      expect(changed.headers.etag).toBe((await read()).headers.etag);
      const stale = await t.http
        .patch(path)
        .set(owner.auth)
        .set('If-Match', tag)
        .send({ role: 'member' });
      expect(stale.status).toBe(412);
      expect(stale.headers.etag).toBe(changed.headers.etag);
      expect(stale.body.currentEtag).toBe(changed.headers.etag);
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
      const current = await read();
      expect(refused.headers.etag).toBe(current.headers.etag);
      expect(current.body.role).toBe('member');
      await t.http.delete(path).set(owner.auth).set('If-Match', current.headers.etag).expect(204);
      await t.http.get(path).set(owner.auth).expect(404);
    });
  });

  describe('user activate / deactivate (state-change POSTs of a platform admin)', () => {
    it('answer the ETag and accept If-Match: stale → 412 and nothing written; current → 200', async () => {
      const root = await registerAdmin(t);
      const target = await registerUser(t.http);
      const url = `/v1/users/${target.user.id}`;
      const first = await t.http.get(url).set(root.auth).expect(200);
      const off = await t.http
        .post(`${url}/deactivate`)
        .set(root.auth)
        .set('If-Match', first.headers.etag)
        .expect(200);
      expect(off.body.isActive).toBe(false);
      expect(off.headers.etag).toMatch(STRONG_TAG);
      expect(off.headers.etag).not.toBe(first.headers.etag);
      expect((await t.http.get(url).set(root.auth).expect(200)).headers.etag).toBe(
        off.headers.etag,
      );
      for (const action of ['activate', 'deactivate']) {
        const stale = await t.http
          .post(`${url}/${action}`)
          .set(root.auth)
          .set('If-Match', first.headers.etag);
        expect(stale.status).toBe(412);
        expect(stale.headers['content-type']).toMatch(PROBLEM);
        expect(stale.body.currentEtag).toBe(off.headers.etag);
      }
      const still = await t.http.get(url).set(root.auth).expect(200);
      expect(still.body).toMatchObject({ isActive: false, version: off.body.version });
      const answers = await Promise.all(
        Array.from({ length: 5 }, () =>
          t.http.post(`${url}/activate`).set(root.auth).set('If-Match', off.headers.etag),
        ),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 412, 412, 412, 412]);
      expect(answers.find((a) => a.status === 200)!.body.isActive).toBe(true);
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
          first.headers.etag.replace(/-(\d+)(\.[^"]*)?"$/, (_, v) => `-${Number(v) + 1}"`),
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
    it("a running task's ETag follows its durationSeconds (no 304 with a stale duration); If-Match follows the version", async () => {
      const keyed = await t.http
        .post('/v1/api-keys')
        .set(owner.auth)
        .send({ name: 'worker', scopes: ['tasks:work'] })
        .expect(201);
      const worker = { 'X-API-Key': keyed.body.key as string };
      const url = await newTask();
      const workerId = 'etag-worker';
      let claimed;
      // Other tests' pending tasks of this owner may be claimed first: cancel them as they come.
      for (;;) {
        claimed = await t.http
          .post('/v1/tasks/claim')
          .set(worker)
          .send({ workerId, leaseSeconds: 600 })
          .expect(200);
        if (`/v1/tasks/${claimed.body.id}` === url) break;
        await t.http.post(`/v1/tasks/${claimed.body.id}/cancel`).set(owner.auth).expect(200);
      }
      const first = await t.http.get(url).set(owner.auth).expect(200);
      expect(first.body.status).toBe('running');
      await t.http.get(url).set(owner.auth).set('If-None-Match', first.headers.etag).expect(304);
      // 1.6 s later the rounded duration differs whatever the first one was.
      await new Promise((resolve) => setTimeout(resolve, 1600));
      const later = await t.http
        .get(url)
        .set(owner.auth)
        .set('If-None-Match', first.headers.etag)
        .expect(200);
      expect(later.body.version).toBe(first.body.version);
      expect(later.body.durationSeconds).toBeGreaterThan(first.body.durationSeconds);
      expect(later.headers.etag).toMatch(STRONG_TAG);
      expect(later.headers.etag).not.toBe(first.headers.etag);

      await t.http.post(`${url}/heartbeat`).set(worker).send({ workerId }).expect(200);
      const stale = await t.http
        .post(`${url}/complete`)
        .set(worker)
        .set('If-Match', first.headers.etag)
        .send({ workerId, result: { ok: true } });
      expect(stale.status).toBe(412);
      expect(stale.body.currentEtag).toMatch(STRONG_TAG);
      expect((await t.http.get(url).set(owner.auth).expect(200)).body.status).toBe('running');
      const done = await t.http
        .post(`${url}/complete`)
        .set(worker)
        .set('If-Match', stale.body.currentEtag)
        .send({ workerId, result: { ok: true } })
        .expect(200);
      expect(done.body.status).toBe('completed');
      const settled = await t.http.get(url).set(owner.auth).expect(200);
      expect(done.headers.etag).toBe(settled.headers.etag);
      await t.http.get(url).set(owner.auth).set('If-None-Match', settled.headers.etag).expect(304);
    });
  });
});
