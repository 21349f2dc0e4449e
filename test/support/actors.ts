import { createHmac, randomUUID } from 'node:crypto';
import { TestApp } from './test-app';

/**
 * Real users made through the public contract (register, login, entities, members,
 * deactivate), for the suites that need callers with every kind of access.
 */

export const ADMIN_EMAIL = 'root-admin@example.com';
export const ADMIN_PASSWORD = 'Admin-Password-123';
export const PASSWORD = 'Correct-Horse-9-Battery';

/** Env for startTestApp so the first start creates the platform admin. */
export const ADMIN_ENV = { ADMIN_EMAIL, ADMIN_PASSWORD };

export interface Actor {
  id: string;
  email: string;
  token: string;
}

function expectStatus(
  res: { status: number; body: unknown },
  expected: number[],
  what: string,
): void {
  if (!expected.includes(res.status)) {
    throw new Error(
      `${what}: expected ${expected.join('/')} but got ${res.status} ${JSON.stringify(res.body)}`,
    );
  }
}

export async function register(t: TestApp, label: string): Promise<Actor> {
  const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  const res = await t.http.post('/v1/auth/register').send({ email, password: PASSWORD });
  expectStatus(res, [201], `register ${email}`);
  return { id: res.body.user.id, email, token: res.body.accessToken };
}

export async function login(t: TestApp, loginName: string, password: string): Promise<Actor> {
  const res = await t.http.post('/v1/auth/login').send({ login: loginName, password });
  expectStatus(res, [200, 201], `login ${loginName}`);
  return {
    id: res.body.user?.id ?? decodeJwt(res.body.accessToken).sub,
    email: loginName,
    token: res.body.accessToken,
  };
}

export async function loginAdmin(t: TestApp): Promise<Actor> {
  return login(t, ADMIN_EMAIL, ADMIN_PASSWORD);
}

export async function createEntity(
  t: TestApp,
  owner: Actor,
  name = `Org ${randomUUID().slice(0, 6)}`,
): Promise<string> {
  const res = await t.http
    .post('/v1/entities')
    .set('Authorization', `Bearer ${owner.token}`)
    .send({ name });
  expectStatus(res, [201], `create entity as ${owner.email}`);
  return res.body.id ?? res.body.entity?.id;
}

/** Makes `who` a member the only way there is: `by` invites their email, they accept. */
export async function addMember(
  t: TestApp,
  by: Actor,
  entityId: string,
  who: Actor,
  role: 'member' | 'admin' | 'owner',
) {
  const res = await t.http
    .post(`/v1/entities/${entityId}/members`)
    .set('Authorization', `Bearer ${by.token}`)
    .send({ email: who.email, role });
  expectStatus(res, [202], `invite ${who.email} as ${role}`);
  const accepted = await t.http
    .post(`/v1/invitations/${res.body.id}/accept`)
    .set('Authorization', `Bearer ${who.token}`);
  expectStatus(accepted, [200], `${who.email} accepts the invitation as ${role}`);
}

export async function deactivate(t: TestApp, admin: Actor, user: Actor) {
  const res = await t.http
    .post(`/v1/users/${user.id}/deactivate`)
    .set('Authorization', `Bearer ${admin.token}`);
  expectStatus(res, [200, 201, 204], `deactivate ${user.email}`);
}

/**
 * Everyone the access matrix needs: a platform admin; entity A with an owner, an admin and
 * a member; an outsider who owns entity B; a member of A who was deactivated.
 */
export interface World {
  admin: Actor;
  owner: Actor;
  entityAdmin: Actor;
  member: Actor;
  outsider: Actor;
  deactivated: Actor;
  entityId: string;
  otherEntityId: string;
}

export async function buildWorld(t: TestApp): Promise<World> {
  const admin = await loginAdmin(t);
  const owner = await register(t, 'owner');
  const entityAdmin = await register(t, 'entity-admin');
  const member = await register(t, 'member');
  const outsider = await register(t, 'outsider');
  const deactivated = await register(t, 'deactivated');
  const entityId = await createEntity(t, owner);
  const otherEntityId = await createEntity(t, outsider);
  await addMember(t, owner, entityId, entityAdmin, 'admin');
  await addMember(t, owner, entityId, member, 'member');
  await addMember(t, owner, entityId, deactivated, 'member');
  await deactivate(t, admin, deactivated);
  return { admin, owner, entityAdmin, member, outsider, deactivated, entityId, otherEntityId };
}

// ---- JWT forging (HS256 by hand; no library so nothing is "helpfully" validated) ----

const b64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

export function decodeJwt(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

export function signJwt(
  payload: Record<string, unknown>,
  secret: string,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const head = b64url(JSON.stringify(header));
  const body = b64url(JSON.stringify(payload));
  const signature = b64url(createHmac('sha256', secret).update(`${head}.${body}`).digest());
  return `${head}.${body}.${signature}`;
}

/** Tokens that must all be refused with 401, built from a real, valid token of `victim`. */
export function forgedTokens(valid: string, secret: string, other: Actor): Record<string, string> {
  const payload = decodeJwt(valid);
  const now = Math.floor(Date.now() / 1000);
  const [head, body, signature] = valid.split('.');
  const flipped = signature.slice(0, -2) + (signature.slice(-2) === 'AA' ? 'AB' : 'AA');
  return {
    expired: signJwt({ ...payload, iat: now - 7200, exp: now - 3600 }, secret),
    'tampered signature': `${head}.${body}.${flipped}`,
    'tampered payload (sub of another user)': `${head}.${b64url(JSON.stringify({ ...payload, sub: other.id }))}.${signature}`,
    'alg none': `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${body}.`,
    'alg none, isAdmin claim': `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify({ ...payload, isAdmin: true, admin: true }))}.`,
    'wrong secret': signJwt(payload, 'not-the-secret-not-the-secret-not-the-secret'),
    'unknown user': signJwt({ ...payload, sub: randomUUID() }, secret),
    'not a JWT': 'definitely-not-a-jwt',
    'fake API key': `ck_${randomUUID().replace(/-/g, '')}`,
  };
}
