import { DEFAULT_PASSWORD, registerAdmin, registerUser, TestUser } from './support/identity';
import { startTestApp, TestApp } from './support/test-app';

describe('users: listing, profile, activation', () => {
  let t: TestApp;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    t = await startTestApp({ label: 'users' });
    admin = await registerAdmin(t, { email: 'root@example.test' });
    alice = await registerUser(t.http, {
      email: 'alice@example.test',
      username: 'alice',
      firstName: 'Alice',
      lastName: 'Liddell',
    });
    bob = await registerUser(t.http, {
      email: 'bob@example.test',
      username: 'bob_100',
      firstName: 'Bob',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  describe('GET /v1/users', () => {
    it('lists every user newest first for a platform admin', async () => {
      const res = await t.http.get('/v1/users').set(admin.auth).expect(200);
      expect(res.body.items.map((u: { email: string }) => u.email)).toEqual([
        'bob@example.test',
        'alice@example.test',
        'root@example.test',
      ]);
      expect(res.body.nextCursor).toBeNull();
      expect(JSON.stringify(res.body)).not.toMatch(/password/i);
    });

    it('pages with a cursor without repeating or skipping anyone', async () => {
      const first = await t.http.get('/v1/users?limit=2').set(admin.auth).expect(200);
      expect(first.body.items).toHaveLength(2);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await t.http
        .get(`/v1/users?limit=2&cursor=${first.body.nextCursor}`)
        .set(admin.auth)
        .expect(200);
      expect(second.body.items.map((u: { email: string }) => u.email)).toEqual([
        'root@example.test',
      ]);
      expect(second.body.nextCursor).toBeNull();
    });

    it('searches email, username and names case-insensitively', async () => {
      const byName = await t.http.get('/v1/users?search=LIDDELL').set(admin.auth).expect(200);
      expect(byName.body.items.map((u: { id: string }) => u.id)).toEqual([alice.user.id]);
      const byUsername = await t.http.get('/v1/users?search=bob_').set(admin.auth).expect(200);
      expect(byUsername.body.items.map((u: { id: string }) => u.id)).toEqual([bob.user.id]);
    });

    it('ignores an empty search', async () => {
      const res = await t.http.get('/v1/users?search=').set(admin.auth).expect(200);
      expect(res.body.items).toHaveLength(3);
    });

    it('treats LIKE metacharacters in the search literally', async () => {
      const percent = await t.http.get('/v1/users?search=%25').set(admin.auth).expect(200);
      expect(percent.body.items).toEqual([]);
      const underscore = await t.http.get('/v1/users?search=_').set(admin.auth).expect(200);
      expect(underscore.body.items.map((u: { id: string }) => u.id)).toEqual([bob.user.id]);
    });

    it('filters by isActive', async () => {
      const carol = await registerUser(t.http, { email: 'carol@example.test' });
      await t.http.post(`/v1/users/${carol.user.id}/deactivate`).set(admin.auth).expect(200);
      const inactive = await t.http.get('/v1/users?isActive=false').set(admin.auth).expect(200);
      expect(inactive.body.items.map((u: { id: string }) => u.id)).toEqual([carol.user.id]);
      const active = await t.http.get('/v1/users?isActive=true').set(admin.auth).expect(200);
      expect(active.body.items.map((u: { id: string }) => u.id)).not.toContain(carol.user.id);
    });

    it('refuses bad query parameters with 400', async () => {
      await t.http.get('/v1/users?limit=0').set(admin.auth).expect(400);
      await t.http.get('/v1/users?limit=101').set(admin.auth).expect(400);
      await t.http.get('/v1/users?isActive=maybe').set(admin.auth).expect(400);
      await t.http.get('/v1/users?cursor=garbage').set(admin.auth).expect(400);
      await t.http.get('/v1/users?role=admin').set(admin.auth).expect(400);
    });

    it('answers 403 to a regular user and 401 without a token', async () => {
      await t.http.get('/v1/users').set(alice.auth).expect(403);
      await t.http.get('/v1/users').expect(401);
    });
  });

  describe('GET /v1/users/:id', () => {
    it('shows yourself', async () => {
      const res = await t.http.get(`/v1/users/${alice.user.id}`).set(alice.auth).expect(200);
      expect(res.body).toMatchObject({
        id: alice.user.id,
        email: 'alice@example.test',
        username: 'alice',
      });
    });

    it('shows anyone to an admin', async () => {
      await t.http.get(`/v1/users/${alice.user.id}`).set(admin.auth).expect(200);
    });

    it('answers 404 for another user, exactly as for a missing one', async () => {
      const other = await t.http.get(`/v1/users/${bob.user.id}`).set(alice.auth).expect(404);
      const missing = await t.http
        .get('/v1/users/00000000-0000-4000-8000-000000000000')
        .set(alice.auth)
        .expect(404);
      expect(other.body.detail).toBe(missing.body.detail);
    });

    it('answers 400 to an id that is not a UUID', async () => {
      const res = await t.http.get('/v1/users/not-a-uuid').set(alice.auth).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
  });

  describe('PATCH /v1/users/me', () => {
    it('changes names and username', async () => {
      const res = await t.http
        .patch('/v1/users/me')
        .set(alice.auth)
        .send({ firstName: 'Alicia', lastName: null, username: 'Alicia_L' })
        .expect(200);
      expect(res.body).toMatchObject({ firstName: 'Alicia', lastName: null, username: 'alicia_l' });
      const me = await t.http.get('/v1/auth/me').set(alice.auth).expect(200);
      expect(me.body).toMatchObject({ firstName: 'Alicia', username: 'alicia_l' });
    });

    it('answers 409 to a username someone else has', async () => {
      await t.http.patch('/v1/users/me').set(alice.auth).send({ username: 'bob_100' }).expect(409);
    });

    it('changes the password only with the current one', async () => {
      await t.http
        .patch('/v1/users/me')
        .set(alice.auth)
        .send({ password: 'a brand new password' })
        .expect(400);
      const wrong = await t.http
        .patch('/v1/users/me')
        .set(alice.auth)
        .send({ password: 'a brand new password', currentPassword: 'not my password' })
        .expect(400);
      expect(wrong.body.errors).toEqual([
        { field: 'currentPassword', message: 'currentPassword is wrong' },
      ]);
      await t.http
        .patch('/v1/users/me')
        .set(alice.auth)
        .send({ password: 'a brand new password', currentPassword: DEFAULT_PASSWORD })
        .expect(200);
      await t.http
        .post('/v1/auth/login')
        .send({ login: 'alice@example.test', password: DEFAULT_PASSWORD })
        .expect(401);
      await t.http
        .post('/v1/auth/login')
        .send({ login: 'alice@example.test', password: 'a brand new password' })
        .expect(200);
    });

    it.each([
      ['isAdmin', { isAdmin: true }],
      ['isActive', { isActive: false }],
      ['email', { email: 'new@example.test' }],
      ['a 10 KB firstName', { firstName: 'x'.repeat(10_240) }],
      ['a short new password', { password: 'short', currentPassword: DEFAULT_PASSWORD }],
      ['a bad username', { username: 'no spaces please' }],
    ])('refuses %s with 400 and changes nothing', async (_, body) => {
      await t.http.patch('/v1/users/me').set(bob.auth).send(body).expect(400);
      const [row] = await t.db.query(
        `SELECT is_admin, is_active, email, first_name FROM users WHERE id = '${bob.user.id}'`,
      );
      expect(Boolean(row.is_admin)).toBe(false);
      expect(Boolean(row.is_active)).toBe(true);
      expect(row.email).toBe('bob@example.test');
      expect(row.first_name).toBe('Bob');
    });

    it('answers 401 without a token', async () => {
      await t.http.patch('/v1/users/me').send({ firstName: 'X' }).expect(401);
    });
  });

  describe('POST /v1/users/:id/activate|deactivate', () => {
    it('lets an admin deactivate (ending every session) and re-activate a user', async () => {
      const dave = await registerUser(t.http);
      const off = await t.http
        .post(`/v1/users/${dave.user.id}/deactivate`)
        .set(admin.auth)
        .expect(200);
      expect(off.body).toMatchObject({ id: dave.user.id, isActive: false });
      await t.http.get('/v1/auth/me').set(dave.auth).expect(401);
      const on = await t.http
        .post(`/v1/users/${dave.user.id}/activate`)
        .set(admin.auth)
        .expect(200);
      expect(on.body.isActive).toBe(true);
      // Deactivation ended dave's sessions; he signs in again.
      await t.http.get('/v1/auth/me').set(dave.auth).expect(401);
      const again = await t.http
        .post('/v1/auth/login')
        .send({ login: dave.user.email, password: dave.password })
        .expect(200);
      await t.http
        .get('/v1/auth/me')
        .set('Authorization', `Bearer ${again.body.accessToken}`)
        .expect(200);
    });

    it('answers 409 to an admin deactivating themselves', async () => {
      const self = await t.http.post(`/v1/users/${admin.user.id}/deactivate`).set(admin.auth);
      expect(self.status).toBe(409);
      expect(self.headers['content-type']).toMatch(/application\/problem\+json/);
      await t.http.get('/v1/auth/me').set(admin.auth).expect(200);
    });

    it('never lets two admins deactivating each other at once leave no active admin', async () => {
      const yes = t.target === 'postgres' ? 'true' : '1';
      const no = t.target === 'postgres' ? 'false' : '0';
      const first = await registerAdmin(t);
      const second = await registerAdmin(t);
      const others = `id NOT IN ('${first.user.id}', '${second.user.id}')`;
      const [{ n }] = await t.db.query(
        `SELECT COUNT(*) AS n FROM users WHERE is_admin = ${yes} AND is_active = ${yes} AND ${others}`,
      );
      const restore = await t.db.query(
        `SELECT id FROM users WHERE is_admin = ${yes} AND is_active = ${yes} AND ${others}`,
      );
      expect(Number(n)).toBeGreaterThan(0);
      await t.db.query(`UPDATE users SET is_active = ${no} WHERE is_admin = ${yes} AND ${others}`);
      try {
        const [a, b] = await Promise.all([
          t.http.post(`/v1/users/${second.user.id}/deactivate`).set(first.auth),
          t.http.post(`/v1/users/${first.user.id}/deactivate`).set(second.auth),
        ]);
        // The loser is refused: 409 (last admin), or 401 when its caller was already blocked.
        const statuses = [a.status, b.status].sort();
        expect(statuses[0]).toBe(200);
        expect([401, 409]).toContain(statuses[1]);
        const [{ active }] = await t.db.query(
          `SELECT COUNT(*) AS active FROM users WHERE is_admin = ${yes} AND is_active = ${yes}`,
        );
        expect(Number(active)).toBe(1);
      } finally {
        for (const row of restore as { id: string }[]) {
          await t.db.query(`UPDATE users SET is_active = ${yes} WHERE id = '${row.id}'`);
        }
      }
    });

    it('answers 403 to a regular user, 404 to a missing id, 400 to a non-UUID', async () => {
      await t.http.post(`/v1/users/${bob.user.id}/deactivate`).set(alice.auth).expect(403);
      await t.http.post(`/v1/users/${bob.user.id}/activate`).set(alice.auth).expect(403);
      await t.http
        .post('/v1/users/00000000-0000-4000-8000-000000000000/deactivate')
        .set(admin.auth)
        .expect(404);
      await t.http.post('/v1/users/123/activate').set(admin.auth).expect(400);
    });
  });
});

describe('users: platform admin bootstrap', () => {
  it('creates the ADMIN_EMAIL admin at first start, once', async () => {
    const env = { ADMIN_EMAIL: 'Boot@Example.test', ADMIN_PASSWORD: 'bootstrap password' };
    const t = await startTestApp({ label: 'adminboot', env });
    try {
      const login = await t.http
        .post('/v1/auth/login')
        .send({ login: 'boot@example.test', password: 'bootstrap password' })
        .expect(200);
      expect(login.body.user).toMatchObject({ email: 'boot@example.test', isAdmin: true });
      await t.http
        .get('/v1/users')
        .set('Authorization', `Bearer ${login.body.accessToken}`)
        .expect(200);
      const [{ n }] = await t.db.query(`SELECT COUNT(*) AS n FROM users`);
      expect(Number(n)).toBe(1);
    } finally {
      await t.close();
    }
  });
});
