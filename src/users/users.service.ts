import {
  BadRequestException,
  ConflictException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { Principal } from '../common/auth/access';
import { Page } from '../common/pagination/pagination';
import { CacheKeys } from '../cache/cache-keys';
import { assertVersion, throwStaleOrMissing, VersionCondition } from '../common/http/etag';
import { CacheService } from '../cache/cache.service';
import { Clock } from '../common/clock/clock';
import { classifyDatabaseError } from '../database/database-errors';
import { ListUsersQueryDto } from './dto/list-users-query.dto';
import { UpdateMeDto } from './dto/update-me.dto';
import { UpdateMeResponse } from './dto/update-me.response';
import { UserResponse } from './dto/user.response';
import { IdentityCache } from './identity-cache';
import { PasswordHasher } from './password-hasher';
import { User } from './user.entity';
import { UserSessions } from './user-sessions';
import { UsersRepository } from './users.repository';

export interface NewUser {
  email: string;
  password: string;
  username?: string | null;
  firstName?: string | null;
  lastName?: string | null;
}

export function toUserResponse(user: User): UserResponse {
  return {
    id: user.id,
    email: user.email,
    username: user.username ?? null,
    firstName: user.firstName ?? null,
    lastName: user.lastName ?? null,
    isActive: user.isActive,
    isAdmin: user.isAdmin,
    lastLoginAt: user.lastLoginAt ? new Date(user.lastLoginAt).toISOString() : null,
    version: user.version,
    createdAt: new Date(user.createdAt).toISOString(),
    updatedAt: new Date(user.updatedAt).toISOString(),
  };
}

/**
 * Users and their credentials. The only caller of UsersRepository. Every change to a user
 * drops `user:{id}` from the cache, so the access guard sees deactivation on the next request.
 */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly cache: CacheService,
    private readonly clock: Clock,
    private readonly identityCache: IdentityCache,
    private readonly sessions: UserSessions,
  ) {}

  /** The user as the API shows it, cached under `user:{id}`; null when missing. */
  findView(id: string): Promise<UserResponse | null> {
    return this.cache.wrap(CacheKeys.user(id), async () => {
      const user = await this.users.findById(id);
      return user ? toUserResponse(user) : null;
    });
  }

  async findByEmail(email: string): Promise<UserResponse | null> {
    const user = await this.users.findByEmail(email);
    return user ? toUserResponse(user) : null;
  }

  /** Self or platform admin; anyone else gets 404 so ids are not confirmed. */
  async getVisible(principal: Principal, id: string): Promise<UserResponse> {
    const user = principal.userId === id || principal.isAdmin ? await this.findView(id) : null;
    if (!user) throw new NotFoundException('User not found');
    return user;
  }

  list(query: ListUsersQueryDto): Promise<Page<UserResponse>> {
    return this.users.findFiltered(
      { isActive: query.isActive, search: query.search },
      query,
      toUserResponse,
    );
  }

  /** Registration: 409 on a taken email or username (the unique indexes settle races the same way). */
  async create(input: NewUser, options: { isAdmin?: boolean } = {}): Promise<UserResponse> {
    const email = input.email.trim().toLowerCase();
    const username = input.username ? input.username.trim().toLowerCase() : null;
    if (await this.users.findByEmail(email))
      throw new ConflictException('This email is already registered');
    if (username && (await this.users.findByUsername(username))) {
      throw new ConflictException('This username is already taken');
    }
    const passwordHash = await this.hasher.hash(input.password);
    const user = await this.users.insertUser({
      email,
      username,
      firstName: input.firstName ?? null,
      lastName: input.lastName ?? null,
      passwordHash,
      isActive: true,
      isAdmin: options.isAdmin ?? false,
      lastLoginAt: null,
    });
    return toUserResponse(user);
  }

  /**
   * The user for a login (email or username) and password, or null. Unknown users cost the
   * same scrypt work as a wrong password, so timing does not tell them apart. Inactive users
   * are returned (with the right password) so the caller decides; they are refused there.
   */
  async verifyCredentials(login: string, password: string): Promise<UserResponse | null> {
    const user = await this.users.findByLogin(login);
    if (!user || !user.passwordHash) {
      await this.hasher.verifyDummy(password);
      return null;
    }
    const ok = await this.hasher.verify(password, user.passwordHash);
    if (!ok) return null;
    if (this.hasher.needsRehash(user.passwordHash)) {
      await this.users.updateUser(user.id, { passwordHash: await this.hasher.hash(password) });
    }
    return toUserResponse(user);
  }

  async recordLogin(id: string): Promise<void> {
    await this.users.updateUser(id, { lastLoginAt: this.clock.now() });
    await this.identityCache.drop(CacheKeys.user(id));
  }

  /**
   * A password change ends every other session of the user; the caller's session (if they
   * used one, not an API key) continues with fresh tokens, returned as `tokens`. With an
   * If-Match condition, only onto a version it names (else StaleVersion → 412).
   */
  async updateMe(
    principal: Principal,
    dto: UpdateMeDto,
    expected?: VersionCondition,
  ): Promise<UpdateMeResponse> {
    const id = principal.userId;
    const changes: Partial<User> = {};
    if (dto.firstName !== undefined) changes.firstName = dto.firstName;
    if (dto.lastName !== undefined) changes.lastName = dto.lastName;
    if (dto.username !== undefined) {
      if (dto.username !== null) {
        const holder = await this.users.findByUsername(dto.username);
        if (holder && holder.id !== id)
          throw new ConflictException('This username is already taken');
      }
      changes.username = dto.username;
    }
    if (dto.password !== undefined && dto.password !== null) {
      const current = await this.users.findPasswordHash(id);
      if (!(await this.hasher.verify(dto.currentPassword ?? '', current))) {
        throw new BadRequestException({
          detail: 'currentPassword is wrong',
          errors: [{ field: 'currentPassword', message: 'currentPassword is wrong' }],
        });
      }
      changes.passwordHash = await this.hasher.hash(dto.password);
    }
    if (Object.keys(changes).length > 0) {
      const found = await this.users.updateUser(id, changes, expected);
      await this.identityCache.drop(CacheKeys.user(id));
      if (!found) throwStaleOrMissing(await this.users.findById(id), expected, userNotFound);
    }
    const tokens = changes.passwordHash
      ? await this.sessions.keepOnly(id, principal.sessionId)
      : null;
    const user = await this.findView(id);
    if (!user) throw new NotFoundException('User not found');
    if (Object.keys(changes).length === 0) assertVersion(expected, user.version);
    return tokens ? { ...user, tokens } : user;
  }

  async setActive(id: string, active: boolean, expected?: VersionCondition): Promise<UserResponse> {
    const found = await this.users.updateUser(id, { isActive: active }, expected);
    await this.identityCache.drop(CacheKeys.user(id));
    if (!found) throwStaleOrMissing(await this.users.findById(id), expected, userNotFound);
    if (!active) await this.sessions.revokeAll(id);
    return (await this.findView(id))!;
  }

  /**
   * Blocks a user. 409 when an admin would deactivate themselves or the last active platform
   * admin (nobody could sign in to undo it); 404 when there is no such user.
   */
  async deactivate(by: Principal, id: string, expected?: VersionCondition): Promise<UserResponse> {
    if (by.userId === id) throw new ConflictException('You cannot deactivate yourself');
    const outcome = await this.users.deactivateUnlessLastAdmin(id, expected);
    await this.identityCache.drop(CacheKeys.user(id));
    if (outcome === 'missing') throw userNotFound();
    if (outcome === 'stale')
      throwStaleOrMissing(await this.users.findById(id), expected, userNotFound);
    if (outcome === 'last-admin') {
      throw new ConflictException('The last active platform admin cannot be deactivated');
    }
    // Every session ends: reactivation needs a new sign-in.
    await this.sessions.revokeAll(id);
    return (await this.findView(id))!;
  }

  /**
   * Creates a platform admin, or promotes (and re-activates) an existing user and sets the
   * given password. Idempotent: running it twice leaves the same state.
   */
  async createOrPromoteAdmin(
    email: string,
    password: string,
  ): Promise<{ user: UserResponse; created: boolean }> {
    const existing = await this.users.findByEmail(email);
    if (!existing) {
      try {
        return { user: await this.create({ email, password }, { isAdmin: true }), created: true };
      } catch (error) {
        // Another instance created it at the same moment: fall through and promote.
        if (!(error instanceof ConflictException) && classifyDatabaseError(error) !== 'unique')
          throw error;
      }
    }
    const user = existing ?? (await this.users.findByEmail(email))!;
    await this.users.updateUser(user.id, {
      isAdmin: true,
      isActive: true,
      passwordHash: await this.hasher.hash(password),
    });
    await this.identityCache.drop(CacheKeys.user(user.id));
    // A password set from the command line: whoever held a session must sign in with it.
    await this.sessions.revokeAll(user.id);
    return { user: (await this.findView(user.id))!, created: false };
  }

  /** First start with ADMIN_EMAIL/ADMIN_PASSWORD: creates that admin unless the email exists. */
  async ensureAdmin(email: string, password: string): Promise<boolean> {
    if (await this.users.findByEmail(email)) return false;
    try {
      await this.create({ email, password }, { isAdmin: true });
      return true;
    } catch (error) {
      if (error instanceof ConflictException || classifyDatabaseError(error) === 'unique')
        return false;
      throw error;
    }
  }
}

const userNotFound = () => new NotFoundException('User not found');
