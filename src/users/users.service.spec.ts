import { BadRequestException, ConflictException } from '@nestjs/common';
import { CacheService } from '../cache/cache.service';
import { FixedClock } from '../common/clock/clock';
import { IdentityCache } from './identity-cache';
import { PasswordHasher } from './password-hasher';
import { User } from './user.entity';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

/** An in-memory UsersRepository, enough for the rules. */
function fakeRepository() {
  const rows = new Map<string, User>();
  let seq = 0;
  const find = (pred: (u: User) => boolean) => [...rows.values()].find(pred) ?? null;
  return {
    rows,
    repo: {
      findById: async (id: string) => rows.get(id) ?? null,
      findByEmail: async (email: string) => find((u) => u.email === email.toLowerCase()),
      findByUsername: async (username: string) =>
        find((u) => u.username === username.toLowerCase()),
      findByLogin: async (login: string) =>
        find((u) =>
          login.includes('@')
            ? u.email === login.toLowerCase()
            : u.username === login.toLowerCase(),
        ),
      findPasswordHash: async (id: string) => rows.get(id)?.passwordHash ?? null,
      insertUser: async (values: Partial<User>) => {
        const user = {
          id: `u${++seq}`,
          createdAt: new Date(),
          updatedAt: new Date(),
          ...values,
        } as User;
        rows.set(user.id, user);
        return user;
      },
      updateUser: async (id: string, changes: Partial<User>) => {
        const user = rows.get(id);
        if (user) Object.assign(user, changes);
        return !!user;
      },
    } as unknown as UsersRepository,
  };
}

/** A hasher that is fast and counts the work it was asked to do. */
class CountingHasher extends PasswordHasher {
  verifications = 0;
  dummies = 0;
  override async hash(password: string) {
    return `plain:${password}`;
  }
  override async verify(password: string, stored: string | null | undefined) {
    this.verifications++;
    return stored === `plain:${password}`;
  }
  override async verifyDummy() {
    this.dummies++;
  }
  override needsRehash() {
    return false;
  }
}

describe('UsersService rules (repository stubbed)', () => {
  let store: ReturnType<typeof fakeRepository>;
  let hasher: CountingHasher;
  let cache: Map<string, unknown>;
  let service: UsersService;
  let sessionCalls: string[];

  beforeEach(() => {
    store = fakeRepository();
    hasher = new CountingHasher();
    cache = new Map();
    const cacheService = {
      wrap: async (key: string, load: () => Promise<unknown>) => {
        if (!cache.has(key)) cache.set(key, await load());
        return cache.get(key);
      },
      del: async (key: string) => void cache.delete(key),
    } as unknown as CacheService;
    service = new UsersService(
      store.repo,
      hasher,
      cacheService,
      new FixedClock(),
      new IdentityCache(cacheService),
      {
        revokeAll: async (id: string) => void sessionCalls.push(`revokeAll ${id}`),
        keepOnly: async (id: string, sid?: string) => {
          sessionCalls.push(`keepOnly ${id} ${sid}`);
          return sid ? { accessToken: 'a', expiresIn: 900, refreshToken: 'r' } : null;
        },
      },
    );
    sessionCalls = [];
  });

  it('lower-cases email and username and never stores the plain password', async () => {
    const user = await service.create({
      email: 'Ann@X.Test',
      username: 'Ann',
      password: 'secret-password',
    });
    expect(user).toMatchObject({
      email: 'ann@x.test',
      username: 'ann',
      isAdmin: false,
      isActive: true,
    });
    expect(store.rows.get(user.id)!.passwordHash).toBe('plain:secret-password');
    expect(JSON.stringify(user)).not.toContain('secret-password');
  });

  it('answers 409 to a taken email or username', async () => {
    await service.create({ email: 'a@x.test', username: 'ann', password: 'secret-password' });
    await expect(
      service.create({ email: 'A@x.test', password: 'secret-password' }),
    ).rejects.toBeInstanceOf(ConflictException);
    await expect(
      service.create({ email: 'b@x.test', username: 'ANN', password: 'secret-password' }),
    ).rejects.toBeInstanceOf(ConflictException);
  });

  it('spends a dummy verification on an unknown login', async () => {
    await expect(
      service.verifyCredentials('ghost@x.test', 'whatever-password'),
    ).resolves.toBeNull();
    expect(hasher.dummies).toBe(1);
    await service.create({ email: 'a@x.test', password: 'secret-password' });
    await expect(service.verifyCredentials('a@x.test', 'wrong-password')).resolves.toBeNull();
    await expect(service.verifyCredentials('A@x.test', 'secret-password')).resolves.toMatchObject({
      email: 'a@x.test',
    });
    expect(hasher.verifications).toBe(2);
  });

  it('changes the password only with the right current password', async () => {
    const user = await service.create({ email: 'a@x.test', password: 'secret-password' });
    const me = { userId: user.id, isAdmin: false, via: 'jwt' as const, sessionId: 's1' };
    await expect(service.updateMe(me, { password: 'new-password-1' })).rejects.toBeInstanceOf(
      BadRequestException,
    );
    await expect(
      service.updateMe(me, { password: 'new-password-1', currentPassword: 'nope' }),
    ).rejects.toBeInstanceOf(BadRequestException);
    expect(sessionCalls).toEqual([]);
    const changed = await service.updateMe(me, {
      password: 'new-password-1',
      currentPassword: 'secret-password',
    });
    expect(store.rows.get(user.id)!.passwordHash).toBe('plain:new-password-1');
    // Every other session ends; this one continues with fresh tokens.
    expect(sessionCalls).toEqual([`keepOnly ${user.id} s1`]);
    expect(changed.tokens).toEqual({ accessToken: 'a', expiresIn: 900, refreshToken: 'r' });
    expect((await service.updateMe(me, { firstName: 'Ann' })).tokens).toBeUndefined();
  });

  it('drops the cached user on deactivation so the next lookup sees it', async () => {
    const user = await service.create({ email: 'a@x.test', password: 'secret-password' });
    expect((await service.findView(user.id))!.isActive).toBe(true);
    await service.setActive(user.id, false);
    expect((await service.findView(user.id))!.isActive).toBe(false);
  });

  it('creates or promotes an admin idempotently', async () => {
    const first = await service.createOrPromoteAdmin('root@x.test', 'admin-password');
    expect(first).toMatchObject({ created: true, user: { isAdmin: true } });
    const again = await service.createOrPromoteAdmin('root@x.test', 'admin-password');
    expect(again).toMatchObject({ created: false, user: { id: first.user.id, isAdmin: true } });
    const plain = await service.create({ email: 'p@x.test', password: 'secret-password' });
    await service.setActive(plain.id, false);
    const promoted = await service.createOrPromoteAdmin('p@x.test', 'admin-password');
    expect(promoted.user).toMatchObject({ id: plain.id, isAdmin: true, isActive: true });
    expect(await service.ensureAdmin('p@x.test', 'admin-password')).toBe(false);
  });
});
