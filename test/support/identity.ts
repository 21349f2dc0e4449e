import { randomBytes } from 'node:crypto';
import { TestApp } from './test-app';

type Http = TestApp['http'];

export interface TestUser {
  user: {
    id: string;
    email: string;
    username: string | null;
    isAdmin: boolean;
    [key: string]: unknown;
  };
  token: string;
  /** The session's refresh token (POST /v1/auth/refresh). */
  refreshToken: string;
  password: string;
  auth: { Authorization: string };
}

export const DEFAULT_PASSWORD = 'correct horse battery';

/** Registers a fresh user (unique email) and returns it with a bearer token. */
export async function registerUser(
  http: Http,
  overrides: Record<string, unknown> = {},
): Promise<TestUser> {
  const suffix = randomBytes(5).toString('hex');
  const body = { email: `user-${suffix}@example.test`, password: DEFAULT_PASSWORD, ...overrides };
  const res = await http.post('/v1/auth/register').send(body);
  if (res.status !== 201)
    throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    user: res.body.user,
    token: res.body.accessToken,
    refreshToken: res.body.refreshToken,
    password: String(body.password),
    auth: { Authorization: `Bearer ${res.body.accessToken}` },
  };
}

/** A platform admin: registered, then promoted in the database, then signed in again. */
export async function registerAdmin(
  t: TestApp,
  overrides: Record<string, unknown> = {},
): Promise<TestUser> {
  const registered = await registerUser(t.http, overrides);
  await t.db.query(
    `UPDATE users SET is_admin = ${t.target === 'postgres' ? 'true' : '1'} WHERE id = '${registered.user.id}'`,
  );
  const res = await t.http
    .post('/v1/auth/login')
    .send({ login: registered.user.email, password: registered.password })
    .expect(200);
  return {
    ...registered,
    user: res.body.user,
    token: res.body.accessToken,
    refreshToken: res.body.refreshToken,
    auth: { Authorization: `Bearer ${res.body.accessToken}` },
  };
}

/** Creates an entity owned by `owner`; returns its id. */
export async function createEntity(
  http: Http,
  owner: TestUser,
  name = `Org ${randomBytes(3).toString('hex')}`,
): Promise<string> {
  const res = await http.post('/v1/entities').set(owner.auth).send({ name });
  if (res.status !== 201)
    throw new Error(`create entity failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

/** Makes `member` a member with `role`: `actor` (an owner or admin) invites their email, they accept. */
export async function addMember(
  http: Http,
  actor: TestUser,
  entityId: string,
  member: TestUser,
  role: string,
): Promise<void> {
  const res = await http
    .post(`/v1/entities/${entityId}/members`)
    .set(actor.auth)
    .send({ email: member.user.email, role });
  if (res.status !== 202)
    throw new Error(`invite member failed: ${res.status} ${JSON.stringify(res.body)}`);
  const accepted = await http.post(`/v1/invitations/${res.body.id}/accept`).set(member.auth);
  if (accepted.status !== 200)
    throw new Error(
      `accept invitation failed: ${accepted.status} ${JSON.stringify(accepted.body)}`,
    );
}
