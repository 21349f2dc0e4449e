import { SystemLogService } from '../src/analytics/system-log.service';
import { EntitiesService } from '../src/entities/entities.service';
import { MembershipsRepository } from '../src/entities/memberships.repository';
import { addMember, createEntity, registerAdmin, registerUser, TestUser } from './support/identity';
import { startTestApp, TestApp } from './support/test-app';

type Actor = 'member' | 'admin' | 'owner' | 'outsider';

describe('entities and members', () => {
  let t: TestApp;
  let owner: TestUser;
  let admin: TestUser;
  let member: TestUser;
  let outsider: TestUser;
  let target: TestUser;
  let entityId: string;
  let outsiderEntityId: string;
  const as = (who: Actor) => ({ member, admin, owner, outsider })[who];

  /** A fresh entity: owner, admin, member (and `target` as a member when asked). */
  async function freshEntity(withTarget = false): Promise<string> {
    const id = await createEntity(t.http, owner);
    await addMember(t.http, owner, id, admin, 'admin');
    await addMember(t.http, owner, id, member, 'member');
    if (withTarget) await addMember(t.http, owner, id, target, 'member');
    return id;
  }

  beforeAll(async () => {
    t = await startTestApp({ label: 'entities' });
    [owner, admin, member, outsider, target] = await Promise.all([
      registerUser(t.http, { email: 'owner@example.test' }),
      registerUser(t.http, { email: 'admin@example.test' }),
      registerUser(t.http, { email: 'member@example.test' }),
      registerUser(t.http, { email: 'outsider@example.test' }),
      registerUser(t.http, { email: 'target@example.test', username: 'target', firstName: 'Tara' }),
    ]);
    entityId = await freshEntity();
    outsiderEntityId = await createEntity(t.http, outsider, 'Outsider Inc');
  });
  afterAll(async () => {
    await t.close();
  });

  describe('POST /v1/entities', () => {
    it('creates the entity with the caller as owner and a slug derived from the name', async () => {
      const res = await t.http
        .post('/v1/entities')
        .set(owner.auth)
        .send({ name: '  Acme Café GmbH ' })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'Acme Café GmbH',
        slug: 'acme-cafe-gmbh',
        role: 'owner',
        version: 1,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const rows = await t.db.query(
        `SELECT user_id, role FROM user_memberships WHERE entity_id = '${res.body.id}'`,
      );
      expect(rows).toEqual([{ user_id: owner.user.id, role: 'owner' }]);
    });

    it('keeps slugs unique when names repeat', async () => {
      const a = await t.http
        .post('/v1/entities')
        .set(owner.auth)
        .send({ name: 'Twin' })
        .expect(201);
      const b = await t.http
        .post('/v1/entities')
        .set(outsider.auth)
        .send({ name: 'twin!' })
        .expect(201);
      expect(a.body.slug).toBe('twin');
      expect(b.body.slug).toMatch(/^twin-[0-9a-f]{6}$/);
      const c = await t.http.post('/v1/entities').set(owner.auth).send({ name: '!!!' }).expect(201);
      expect(c.body.slug).toMatch(/^entity(-[0-9a-f]{6})?$/);
    });

    it('gives concurrent entities with the same name distinct slugs, each with its owner', async () => {
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          t.http.post('/v1/entities').set(outsider.auth).send({ name: 'Same Name' }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
      expect(new Set(results.map((r) => r.body.slug)).size).toBe(6);
      const ids = results.map((r) => `'${r.body.id}'`).join(',');
      const [{ n }] = await t.db.query(
        `SELECT COUNT(*) AS n FROM user_memberships WHERE entity_id IN (${ids}) AND role = 'owner'`,
      );
      expect(Number(n)).toBe(6);
    });

    it.each([
      ['a missing name', {}],
      ['an empty name', { name: '   ' }],
      ['a 201-character name', { name: 'x'.repeat(201) }],
      ['a 10 KB name', { name: 'x'.repeat(10_240) }],
      ['a numeric name', { name: 42 }],
      ['an unknown field', { name: 'Ok', isActive: false }],
    ])('refuses %s with 400 problem+json', async (_, body) => {
      const res = await t.http.post('/v1/entities').set(owner.auth).send(body).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('answers 401 without a token', async () => {
      await t.http.post('/v1/entities').send({ name: 'Nope' }).expect(401);
    });
  });

  describe('GET /v1/entities', () => {
    it('lists only my active entities, newest first, with my role', async () => {
      const res = await t.http.get('/v1/entities').set(member.auth).expect(200);
      expect(res.body.items.map((e: { id: string; role: string }) => [e.id, e.role])).toEqual([
        [entityId, 'member'],
      ]);
      const outsiders = await t.http.get('/v1/entities').set(outsider.auth).expect(200);
      expect(outsiders.body.items.map((e: { id: string }) => e.id)).not.toContain(entityId);
    });

    it('pages with a cursor', async () => {
      const first = await t.http.get('/v1/entities?limit=2').set(owner.auth).expect(200);
      expect(first.body.items).toHaveLength(2);
      const all = await t.http.get('/v1/entities?limit=100').set(owner.auth).expect(200);
      const second = await t.http
        .get(`/v1/entities?limit=100&cursor=${first.body.nextCursor}`)
        .set(owner.auth)
        .expect(200);
      expect([...first.body.items, ...second.body.items].map((e: { id: string }) => e.id)).toEqual(
        all.body.items.map((e: { id: string }) => e.id),
      );
    });
  });

  describe('GET /v1/entities/:id', () => {
    it('shows the entity to a member, with their role', async () => {
      const res = await t.http.get(`/v1/entities/${entityId}`).set(member.auth).expect(200);
      expect(res.body).toMatchObject({ id: entityId, role: 'member' });
    });

    it('answers 404 to a non-member exactly as for a missing entity', async () => {
      const foreign = await t.http.get(`/v1/entities/${entityId}`).set(outsider.auth).expect(404);
      const missing = await t.http
        .get('/v1/entities/00000000-0000-4000-8000-000000000000')
        .set(outsider.auth)
        .expect(404);
      expect(foreign.body.detail).toBe(missing.body.detail);
    });

    it('answers 400 to an id that is not a UUID', async () => {
      await t.http.get('/v1/entities/not-a-uuid').set(owner.auth).expect(400);
    });
  });

  describe('PATCH /v1/entities/:id', () => {
    it('renames and re-slugs for an admin; the new name shows in /auth/me', async () => {
      await t.http.get('/v1/auth/me').set(member.auth).expect(200); // warm the membership cache
      const res = await t.http
        .patch(`/v1/entities/${entityId}`)
        .set(admin.auth)
        .send({ name: 'Renamed', slug: 'renamed-co' })
        .expect(200);
      expect(res.body).toMatchObject({ name: 'Renamed', slug: 'renamed-co', role: 'admin' });
      const me = await t.http.get('/v1/auth/me').set(member.auth).expect(200);
      expect(me.body.memberships).toEqual([{ entityId, entityName: 'Renamed', role: 'member' }]);
    });

    it('answers 409 to a slug another entity has', async () => {
      await t.http
        .patch(`/v1/entities/${entityId}`)
        .set(owner.auth)
        .send({ slug: 'twin' })
        .expect(409);
    });

    it.each([
      ['a bad slug', { slug: 'Not A Slug' }],
      ['a 10 KB name', { name: 'y'.repeat(10_240) }],
      ['isActive', { isActive: false }],
      ['a null slug (NOT NULL column: was a 500)', { slug: null }],
      ['a null name', { name: null }],
    ])('refuses %s with 400', async (_, body) => {
      await t.http.patch(`/v1/entities/${entityId}`).set(owner.auth).send(body).expect(400);
    });
  });

  describe('role matrix: every write', () => {
    const cases: {
      name: string;
      expected: Record<Actor, number>;
      run: (who: TestUser, id: string) => Promise<{ status: number }>;
      withTarget?: boolean;
    }[] = [
      {
        name: 'PATCH /entities/:id',
        expected: { member: 403, admin: 200, owner: 200, outsider: 404 },
        run: (who, id) =>
          t.http.patch(`/v1/entities/${id}`).set(who.auth).send({ name: 'Changed' }),
      },
      {
        name: 'DELETE /entities/:id',
        expected: { member: 403, admin: 403, owner: 204, outsider: 404 },
        run: (who, id) => t.http.delete(`/v1/entities/${id}`).set(who.auth),
      },
      {
        name: 'POST /entities/:id/members',
        expected: { member: 403, admin: 202, owner: 202, outsider: 404 },
        run: (who, id) =>
          t.http
            .post(`/v1/entities/${id}/members`)
            .set(who.auth)
            .send({ email: 'target@example.test', role: 'member' }),
      },
      {
        name: 'PATCH /entities/:id/members/:userId',
        withTarget: true,
        expected: { member: 403, admin: 200, owner: 200, outsider: 404 },
        run: (who, id) =>
          t.http
            .patch(`/v1/entities/${id}/members/${target.user.id}`)
            .set(who.auth)
            .send({ role: 'admin' }),
      },
      {
        name: 'DELETE /entities/:id/members/:userId',
        withTarget: true,
        expected: { member: 403, admin: 204, owner: 204, outsider: 404 },
        run: (who, id) =>
          t.http.delete(`/v1/entities/${id}/members/${target.user.id}`).set(who.auth),
      },
    ];
    for (const c of cases) {
      for (const who of ['member', 'admin', 'owner', 'outsider'] as Actor[]) {
        it(`${c.name} as ${who} → ${c.expected[who]}`, async () => {
          const id = await freshEntity(c.withTarget);
          const res = await c.run(as(who), id);
          expect(res.status).toBe(c.expected[who]);
        });
      }
    }
  });

  describe('members', () => {
    it('records member changes in the system event log (who, whom, which entity, the roles)', async () => {
      const id = await freshEntity(true);
      await t.http
        .patch(`/v1/entities/${id}/members/${target.user.id}`)
        .set(owner.auth)
        .send({ role: 'admin' })
        .expect(200);
      await t.http
        .delete(`/v1/entities/${id}/members/${target.user.id}`)
        .set(owner.auth)
        .expect(204);
      await t.http
        .delete(`/v1/entities/${id}/members/${member.user.id}`)
        .set(member.auth)
        .expect(204);
      await t.app.get(SystemLogService).flush();
      const rows: Array<{ message: string; user_id: string; details: unknown }> = await t.db.query(
        `SELECT message, user_id, details FROM system_logs WHERE service = 'entities' ORDER BY created_at, id`,
      );
      const ours = rows
        .map((r) => ({
          message: r.message,
          by: r.user_id,
          details: typeof r.details === 'string' ? JSON.parse(r.details) : r.details,
        }))
        .filter((r) => r.details.entityId === id);
      // Order within one millisecond is not defined: compare as a set.
      // Three invited by the owner, each added when they accepted (the member is the actor).
      expect(ours).toHaveLength(9);
      const invited = ours.filter((r) => r.message === 'member invited');
      expect(invited.map((r) => r.by)).toEqual([owner.user.id, owner.user.id, owner.user.id]);
      expect(ours).toEqual(
        expect.arrayContaining([
          ...[
            [admin, 'admin'],
            [member, 'member'],
            [target, 'member'],
          ].map(([who, role]) => ({
            message: 'member added',
            by: (who as TestUser).user.id,
            details: {
              entityId: id,
              memberId: (who as TestUser).user.id,
              role,
              invitationId: expect.any(String),
              invitedBy: owner.user.id,
            },
          })),
          {
            message: 'member role changed',
            by: owner.user.id,
            details: { entityId: id, memberId: target.user.id, from: 'member', to: 'admin' },
          },
          {
            message: 'member removed',
            by: owner.user.id,
            details: { entityId: id, memberId: target.user.id, role: 'admin' },
          },
          {
            message: 'member left',
            by: member.user.id,
            details: { entityId: id, memberId: member.user.id, role: 'member' },
          },
        ]),
      );
    });

    it('lists members with their user and role to any member', async () => {
      const res = await t.http.get(`/v1/entities/${entityId}/members`).set(member.auth).expect(200);
      expect(res.body.nextCursor).toBeNull();
      const byRole = (a: string[], b: string[]) => a[1].localeCompare(b[1]);
      expect(
        res.body.items
          .map((m: { userId: string; role: string }) => [m.userId, m.role])
          .sort(byRole),
      ).toEqual([
        [admin.user.id, 'admin'],
        [member.user.id, 'member'],
        [owner.user.id, 'owner'],
      ]);
      expect(res.body.items.find((m: { role: string }) => m.role === 'member')).toEqual({
        userId: member.user.id,
        email: 'member@example.test',
        username: null,
        firstName: null,
        lastName: null,
        role: 'member',
        version: 1,
        joinedAt: expect.any(String),
      });
    });

    it('pages members with a cursor', async () => {
      const first = await t.http
        .get(`/v1/entities/${entityId}/members?limit=2`)
        .set(admin.auth)
        .expect(200);
      expect(first.body.items).toHaveLength(2);
      const second = await t.http
        .get(`/v1/entities/${entityId}/members?limit=2&cursor=${first.body.nextCursor}`)
        .set(admin.auth)
        .expect(200);
      expect(second.body.nextCursor).toBeNull();
      const ids = [...first.body.items, ...second.body.items]
        .map((m: { userId: string }) => m.userId)
        .sort();
      expect(ids).toEqual([owner.user.id, admin.user.id, member.user.id].sort());
      await t.http
        .get(`/v1/entities/${entityId}/members?cursor=garbage`)
        .set(admin.auth)
        .expect(400);
    });

    it('answers 404 to a non-member listing members', async () => {
      await t.http.get(`/v1/entities/${entityId}/members`).set(outsider.auth).expect(404);
    });

    const invite = (by: TestUser, id: string, email: string, role = 'member') =>
      t.http.post(`/v1/entities/${id}/members`).set(by.auth).send({ email, role });

    it('invites by email with the same 202 whether or not the account exists, and adds nobody', async () => {
      const id = await freshEntity();
      const known = await invite(admin, id, 'TARGET@example.test').expect(202);
      const unknown = await invite(admin, id, 'ghost@example.test').expect(202);
      for (const [res, email] of [
        [known, 'target@example.test'],
        [unknown, 'ghost@example.test'],
      ] as const) {
        expect(Object.keys(res.body).sort()).toEqual(
          [
            'createdAt',
            'email',
            'entityId',
            'expiresAt',
            'id',
            'invitedBy',
            'role',
            'status',
          ].sort(),
        );
        expect(res.body).toMatchObject({ email, entityId: id, role: 'member', status: 'pending' });
        expect(res.body.invitedBy).toBe(admin.user.id);
      }
      // Nothing about the account (id, names) is in the answer, and no membership yet.
      expect(JSON.stringify(known.body)).not.toContain(target.user.id);
      expect(JSON.stringify(known.body)).not.toContain('Tara');
      const members = await t.http.get(`/v1/entities/${id}/members`).set(owner.auth).expect(200);
      expect(members.body.items.map((m: { userId: string }) => m.userId)).not.toContain(
        target.user.id,
      );
      const me = await t.http.get('/v1/auth/me').set(target.auth).expect(200);
      expect(me.body.memberships.map((m: { entityId: string }) => m.entityId)).not.toContain(id);
      const pending = await t.http
        .get(`/v1/entities/${id}/invitations`)
        .set(admin.auth)
        .expect(200);
      expect(pending.body.items.map((i: { email: string }) => i.email).sort()).toEqual([
        'ghost@example.test',
        'target@example.test',
      ]);
      await t.http.get(`/v1/entities/${id}/invitations`).set(member.auth).expect(403);
    });

    it('makes the invitee a member only when they accept, with the invited role', async () => {
      const id = await freshEntity();
      const inv = (await invite(admin, id, target.user.email, 'admin').expect(202)).body;
      const mine = await t.http.get('/v1/invitations').set(target.auth).expect(200);
      const seen = mine.body.items.find((i: { id: string }) => i.id === inv.id);
      expect(seen).toMatchObject({ entityId: id, role: 'admin' });
      expect(typeof seen.entityName).toBe('string');
      // Nobody else sees it or can answer it.
      const others = await t.http.get('/v1/invitations').set(outsider.auth).expect(200);
      expect(others.body.items.map((i: { id: string }) => i.id)).not.toContain(inv.id);
      await t.http.post(`/v1/invitations/${inv.id}/accept`).set(outsider.auth).expect(404);
      await t.http.post(`/v1/invitations/${inv.id}/decline`).set(outsider.auth).expect(404);

      const accepted = await t.http
        .post(`/v1/invitations/${inv.id}/accept`)
        .set(target.auth)
        .expect(200);
      expect(accepted.body).toMatchObject({ id, role: 'admin' });
      const me = await t.http.get('/v1/auth/me').set(target.auth).expect(200);
      expect(me.body.memberships).toContainEqual(
        expect.objectContaining({ entityId: id, role: 'admin' }),
      );
      await t.http.get(`/v1/entities/${id}/invitations`).set(target.auth).expect(200);
      // Answered: gone from both lists, a second accept is a 404.
      await t.http.post(`/v1/invitations/${inv.id}/accept`).set(target.auth).expect(404);
      const after = await t.http.get('/v1/invitations').set(target.auth).expect(200);
      expect(after.body.items.map((i: { id: string }) => i.id)).not.toContain(inv.id);
      // A member already: inviting them again is a 409.
      await invite(owner, id, target.user.email).expect(409);
    });

    it('lets the invitee decline: no membership, the invitation is closed', async () => {
      const id = await freshEntity();
      const inv = (await invite(owner, id, target.user.email).expect(202)).body;
      await t.http.post(`/v1/invitations/${inv.id}/decline`).set(target.auth).expect(204);
      await t.http.post(`/v1/invitations/${inv.id}/accept`).set(target.auth).expect(404);
      const rows = await t.db.query(
        `SELECT COUNT(*) AS n FROM user_memberships WHERE entity_id = '${id}' AND user_id = '${target.user.id}'`,
      );
      expect(Number(rows[0].n)).toBe(0);
      const status = await t.db.query(
        `SELECT status FROM entity_invitations WHERE id = '${inv.id}'`,
      );
      expect(status[0].status).toBe('declined');
    });

    it('renews a pending invitation instead of duplicating it, also under concurrency', async () => {
      const id = await freshEntity();
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, n) =>
          invite(owner, id, 'same@example.test', n % 2 ? 'admin' : 'member'),
        ),
      );
      expect(results.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      const rows = await t.db.query(
        `SELECT COUNT(*) AS n FROM entity_invitations WHERE entity_id = '${id}' AND status = 'pending'`,
      );
      expect(Number(rows[0].n)).toBe(1);
    });

    it('lets exactly one of concurrent acceptances through', async () => {
      const id = await freshEntity();
      const inv = (await invite(owner, id, target.user.email).expect(202)).body;
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          t.http.post(`/v1/invitations/${inv.id}/accept`).set(target.auth),
        ),
      );
      const codes = results.map((r) => r.status);
      expect(codes.filter((c) => c === 200)).toHaveLength(1);
      expect(codes.every((c) => [200, 404, 409].includes(c))).toBe(true);
      const rows = await t.db.query(
        `SELECT COUNT(*) AS n FROM user_memberships WHERE entity_id = '${id}' AND user_id = '${target.user.id}'`,
      );
      expect(Number(rows[0].n)).toBe(1);
    });

    it('lets an invitation expire after 14 days; inviting again renews it', async () => {
      const id = await freshEntity();
      const inv = (await invite(owner, id, target.user.email).expect(202)).body;
      const ttl = Date.parse(inv.expiresAt) - Date.parse(inv.createdAt);
      expect(Math.abs(ttl - 14 * 24 * 3600 * 1000)).toBeLessThan(1000);
      await t.db.query(
        `UPDATE entity_invitations SET expires_at = '2000-01-01 00:00:00.000' WHERE id = '${inv.id}'`,
      );
      await t.http.post(`/v1/invitations/${inv.id}/accept`).set(target.auth).expect(404);
      const again = (await invite(owner, id, target.user.email).expect(202)).body;
      expect(again.id).toBe(inv.id);
      await t.http.post(`/v1/invitations/${inv.id}/accept`).set(target.auth).expect(200);
    });

    it('finds an invitation to an email registered after the invite', async () => {
      const id = await freshEntity();
      const email = `later-${Date.now()}@example.test`;
      const inv = (await invite(owner, id, email).expect(202)).body;
      const later = await registerUser(t.http, { email });
      const mine = await t.http.get('/v1/invitations').set(later.auth).expect(200);
      expect(mine.body.items.map((i: { id: string }) => i.id)).toEqual([inv.id]);
      await t.http.post(`/v1/invitations/${inv.id}/accept`).set(later.auth).expect(200);
    });

    it('lets admins revoke pending invitations (owner ones only an owner); a deleted entity hides them', async () => {
      const id = await freshEntity();
      const plain = (await invite(admin, id, target.user.email).expect(202)).body;
      const toOwner = (await invite(owner, id, 'boss@example.test', 'owner').expect(202)).body;
      await t.http
        .delete(`/v1/entities/${id}/invitations/${toOwner.id}`)
        .set(admin.auth)
        .expect(403);
      await t.http
        .delete(`/v1/entities/${id}/invitations/${plain.id}`)
        .set(member.auth)
        .expect(403);
      await t.http.delete(`/v1/entities/${id}/invitations/${plain.id}`).set(admin.auth).expect(204);
      await t.http.delete(`/v1/entities/${id}/invitations/${plain.id}`).set(admin.auth).expect(404);
      await t.http.post(`/v1/invitations/${plain.id}/accept`).set(target.auth).expect(404);
      await t.http
        .delete(`/v1/entities/${outsiderEntityId}/invitations/${toOwner.id}`)
        .set(outsider.auth)
        .expect(404);
      await t.http.delete(`/v1/entities/${id}/invitations/not-a-uuid`).set(owner.auth).expect(400);

      const again = (await invite(owner, id, target.user.email).expect(202)).body;
      await t.http.delete(`/v1/entities/${id}`).set(owner.auth).expect(204);
      const mine = await t.http.get('/v1/invitations').set(target.auth).expect(200);
      expect(mine.body.items.map((i: { id: string }) => i.id)).not.toContain(again.id);
      await t.http.post(`/v1/invitations/${again.id}/accept`).set(target.auth).expect(404);
    });

    it('adds by userId only for platform admins, through the admin route', async () => {
      const id = await freshEntity();
      await t.http
        .post(`/v1/entities/${id}/members`)
        .set(owner.auth)
        .send({ userId: target.user.id, role: 'member' })
        .expect(400);
      await t.http
        .post(`/v1/admin/entities/${id}/members`)
        .set(owner.auth)
        .send({ userId: target.user.id, role: 'member' })
        .expect(403);
      const admin = (await registerAdmin(t)).auth;
      const added = await t.http
        .post(`/v1/admin/entities/${id}/members`)
        .set(admin)
        .send({ userId: target.user.id, role: 'admin' })
        .expect(201);
      expect(added.body).toMatchObject({ userId: target.user.id, role: 'admin' });
      await t.http
        .post(`/v1/admin/entities/${id}/members`)
        .set(admin)
        .send({ userId: target.user.id, role: 'admin' })
        .expect(409);
      await t.http
        .post(`/v1/admin/entities/${id}/members`)
        .set(admin)
        .send({ userId: '00000000-0000-4000-8000-000000000000', role: 'member' })
        .expect(404);
      await t.http
        .post(`/v1/admin/entities/00000000-0000-4000-8000-000000000000/members`)
        .set(admin)
        .send({ userId: target.user.id, role: 'member' })
        .expect(404);
    });

    it('lets only an owner invite to the owner role', async () => {
      const id = await freshEntity();
      await invite(admin, id, target.user.email, 'owner').expect(403);
      await t.http
        .patch(`/v1/entities/${id}/members/${member.user.id}`)
        .set(admin.auth)
        .send({ role: 'owner' })
        .expect(403);
      const inv = (await invite(owner, id, target.user.email, 'owner').expect(202)).body;
      const accepted = await t.http
        .post(`/v1/invitations/${inv.id}/accept`)
        .set(target.auth)
        .expect(200);
      expect(accepted.body.role).toBe('owner');
    });

    it('lets an admin neither demote nor remove an owner', async () => {
      const id = await freshEntity();
      await t.http
        .patch(`/v1/entities/${id}/members/${owner.user.id}`)
        .set(admin.auth)
        .send({ role: 'member' })
        .expect(403);
      await t.http
        .delete(`/v1/entities/${id}/members/${owner.user.id}`)
        .set(admin.auth)
        .expect(403);
    });

    it('refuses to act on a role that changed between the check and the write (409, nothing changed)', async () => {
      const id = await freshEntity(true);
      const memberships = t.app.get(MembershipsRepository);
      for (const write of ['remove', 'demote'] as const) {
        // The admin's check reads `target` as a member; the owner promotes them before the write.
        const staleRead = await memberships.findMember(id, target.user.id);
        await t.http
          .patch(`/v1/entities/${id}/members/${target.user.id}`)
          .set(owner.auth)
          .send({ role: 'owner' })
          .expect(200);
        const read = jest.spyOn(memberships, 'findMember').mockResolvedValueOnce(staleRead);
        const answer =
          write === 'remove'
            ? await t.http.delete(`/v1/entities/${id}/members/${target.user.id}`).set(admin.auth)
            : await t.http
                .patch(`/v1/entities/${id}/members/${target.user.id}`)
                .set(admin.auth)
                .send({ role: 'admin' });
        read.mockRestore();
        expect(answer.status).toBe(409);
        expect(answer.body.detail).toMatch(/role changed/);
        const now = await t.http.get(`/v1/entities/${id}/members`).set(owner.auth).expect(200);
        expect(
          now.body.items.find((m: { userId: string }) => m.userId === target.user.id)?.role,
        ).toBe('owner');
        await t.http
          .patch(`/v1/entities/${id}/members/${target.user.id}`)
          .set(owner.auth)
          .send({ role: 'member' })
          .expect(200);
      }
    });

    it.each([
      [
        'both email and userId',
        {
          email: 'target@example.test',
          userId: '00000000-0000-4000-8000-000000000000',
          role: 'member',
        },
      ],
      ['neither email nor userId', { role: 'member' }],
      ['an unknown role', { email: 'target@example.test', role: 'superuser' }],
      ['a non-UUID userId', { userId: 'abc', role: 'member' }],
      ['an unknown field', { email: 'target@example.test', role: 'member', isActive: false }],
    ])('refuses %s with 400', async (_, body) => {
      await t.http.post(`/v1/entities/${entityId}/members`).set(owner.auth).send(body).expect(400);
    });

    it('answers 404 for a user who is not a member, 400 for a non-UUID member id', async () => {
      await t.http
        .patch(`/v1/entities/${entityId}/members/${outsider.user.id}`)
        .set(owner.auth)
        .send({ role: 'admin' })
        .expect(404);
      await t.http
        .delete(`/v1/entities/${entityId}/members/${outsider.user.id}`)
        .set(owner.auth)
        .expect(404);
      await t.http
        .patch(`/v1/entities/${entityId}/members/nope`)
        .set(owner.auth)
        .send({ role: 'admin' })
        .expect(400);
    });

    it('lets a member leave, and then forgets them at once', async () => {
      const id = await freshEntity();
      await t.http.get(`/v1/entities/${id}`).set(member.auth).expect(200); // role cached
      await t.http
        .delete(`/v1/entities/${id}/members/${member.user.id}`)
        .set(member.auth)
        .expect(204);
      await t.http.get(`/v1/entities/${id}`).set(member.auth).expect(404);
    });

    it('a member may not remove someone else', async () => {
      const id = await freshEntity(true);
      await t.http
        .delete(`/v1/entities/${id}/members/${target.user.id}`)
        .set(member.auth)
        .expect(403);
    });

    it('a demoted admin loses admin rights on the next request', async () => {
      const id = await freshEntity();
      await t.http.patch(`/v1/entities/${id}`).set(admin.auth).send({ name: 'ok' }).expect(200);
      await t.http
        .patch(`/v1/entities/${id}/members/${admin.user.id}`)
        .set(owner.auth)
        .send({ role: 'member' })
        .expect(200);
      await t.http.patch(`/v1/entities/${id}`).set(admin.auth).send({ name: 'not ok' }).expect(403);
    });
  });

  describe('tenant isolation', () => {
    it("cannot read or change another tenant's entity, members or memberships", async () => {
      const id = await freshEntity(true);
      const x = outsider.auth;
      await t.http.get(`/v1/entities/${id}`).set(x).expect(404);
      await t.http.patch(`/v1/entities/${id}`).set(x).send({ name: 'pwned' }).expect(404);
      await t.http.delete(`/v1/entities/${id}`).set(x).expect(404);
      await t.http.get(`/v1/entities/${id}/members`).set(x).expect(404);
      await t.http
        .post(`/v1/entities/${id}/members`)
        .set(x)
        .send({ email: outsider.user.email, role: 'owner' })
        .expect(404);
      await t.http
        .patch(`/v1/entities/${id}/members/${target.user.id}`)
        .set(x)
        .send({ role: 'owner' })
        .expect(404);
      await t.http.delete(`/v1/entities/${id}/members/${target.user.id}`).set(x).expect(404);
      // Through their own entity, they cannot reach members of this one either.
      await t.http
        .patch(`/v1/entities/${outsiderEntityId}/members/${target.user.id}`)
        .set(x)
        .send({ role: 'owner' })
        .expect(404);
      await t.http
        .delete(`/v1/entities/${outsiderEntityId}/members/${target.user.id}`)
        .set(x)
        .expect(404);
      const rows = await t.db.query(
        `SELECT user_id, role FROM user_memberships WHERE entity_id = '${id}' ORDER BY user_id`,
      );
      expect(rows).toHaveLength(4);
      expect(rows.find((r: { user_id: string }) => r.user_id === outsider.user.id)).toBeUndefined();
      const [entity] = await t.db.query(`SELECT name FROM entities WHERE id = '${id}'`);
      expect(entity.name).not.toBe('pwned');
    });
  });

  describe('the last owner', () => {
    it('cannot be demoted or removed, nor leave', async () => {
      const id = await freshEntity();
      const demote = await t.http
        .patch(`/v1/entities/${id}/members/${owner.user.id}`)
        .set(owner.auth)
        .send({ role: 'admin' })
        .expect(409);
      expect(demote.body).toMatchObject({ type: '/problems/conflict', status: 409 });
      await t.http
        .delete(`/v1/entities/${id}/members/${owner.user.id}`)
        .set(owner.auth)
        .expect(409);
      const rows = await t.db.query(
        `SELECT role FROM user_memberships WHERE entity_id = '${id}' AND user_id = '${owner.user.id}'`,
      );
      expect(rows).toEqual([{ role: 'owner' }]);
    });

    it('can step down once another owner exists', async () => {
      const id = await freshEntity();
      await t.http
        .patch(`/v1/entities/${id}/members/${admin.user.id}`)
        .set(owner.auth)
        .send({ role: 'owner' })
        .expect(200);
      await t.http
        .patch(`/v1/entities/${id}/members/${owner.user.id}`)
        .set(owner.auth)
        .send({ role: 'member' })
        .expect(200);
      await t.http
        .delete(`/v1/entities/${id}/members/${admin.user.id}`)
        .set(admin.auth)
        .expect(409);
    });

    it('survives two owners demoting each other at the same moment', async () => {
      for (let round = 0; round < 3; round++) {
        const id = await freshEntity();
        await t.http
          .patch(`/v1/entities/${id}/members/${admin.user.id}`)
          .set(owner.auth)
          .send({ role: 'owner' })
          .expect(200);
        const results = await Promise.all([
          t.http
            .patch(`/v1/entities/${id}/members/${admin.user.id}`)
            .set(owner.auth)
            .send({ role: 'member' }),
          t.http
            .patch(`/v1/entities/${id}/members/${owner.user.id}`)
            .set(admin.auth)
            .send({ role: 'member' }),
          t.http.delete(`/v1/entities/${id}/members/${owner.user.id}`).set(owner.auth),
          t.http.delete(`/v1/entities/${id}/members/${admin.user.id}`).set(admin.auth),
        ]);
        expect(results.map((r) => r.status)).not.toContain(500);
        const [{ n }] = await t.db.query(
          `SELECT COUNT(*) AS n FROM user_memberships WHERE entity_id = '${id}' AND role = 'owner'`,
        );
        expect(Number(n)).toBe(1);
      }
    });
  });

  describe('DELETE /v1/entities/:id', () => {
    it('soft-deletes: the entity and its members answer 404 to everyone, lists and /auth/me forget it', async () => {
      const id = await freshEntity();
      await t.http.get(`/v1/entities/${id}`).set(member.auth).expect(200); // role cached
      await t.http.delete(`/v1/entities/${id}`).set(owner.auth).expect(204);
      for (const who of [owner, admin, member]) {
        await t.http.get(`/v1/entities/${id}`).set(who.auth).expect(404);
        await t.http.get(`/v1/entities/${id}/members`).set(who.auth).expect(404);
        const list = await t.http.get('/v1/entities?limit=100').set(who.auth).expect(200);
        expect(list.body.items.map((e: { id: string }) => e.id)).not.toContain(id);
        const me = await t.http.get('/v1/auth/me').set(who.auth).expect(200);
        expect(me.body.memberships.map((m: { entityId: string }) => m.entityId)).not.toContain(id);
      }
      await t.http.delete(`/v1/entities/${id}`).set(owner.auth).expect(404);
      const [row] = await t.db.query(`SELECT is_active FROM entities WHERE id = '${id}'`);
      expect(Boolean(row.is_active)).toBe(false);
      const entities = t.app.get(EntitiesService);
      expect(await entities.findActive(id)).toBeNull();
      expect(await entities.findActive(entityId)).toEqual({ id: entityId, name: 'Renamed' });
      expect(await entities.findActive('not-a-uuid')).toBeNull();
    });
  });
});
