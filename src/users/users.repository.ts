import { VersionCondition } from '../common/http/etag';
import { whereVersion } from '../database/versioning';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, DeepPartial } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { decodeCursor, Page, toPage } from '../common/pagination/pagination';
import { applyKeyset } from '../database/keyset';
import { likeContains } from '../database/like';
import { SqlRepository } from '../database/sql-repository';
import { UnitOfWork } from '../database/unit-of-work';
import { User } from './user.entity';

export interface UserFilter {
  isActive?: boolean;
  search?: string;
}

export type UserChanges = Partial<
  Pick<
    User,
    'firstName' | 'lastName' | 'username' | 'passwordHash' | 'isActive' | 'isAdmin' | 'lastLoginAt'
  >
>;

/**
 * Every query on `users`. Reads that feed the `user:{id}` cache the access guard trusts, or
 * decide a write, run on the primary.
 */
@Injectable()
export class UsersRepository extends SqlRepository {
  constructor(
    @InjectDataSource() dataSource: DataSource,
    clock: Clock,
    private readonly uow: UnitOfWork,
  ) {
    super(dataSource, clock);
  }

  /** One INSERT; id and timestamps are ours. */
  async insertUser(values: DeepPartial<User>): Promise<User> {
    const user = this.dataSource.getRepository(User).create({ ...this.stamp(), ...values });
    await this.dataSource.createQueryBuilder().insert().into(User).values(user).execute();
    return user;
  }

  findById(id: string): Promise<User | null> {
    return this.on({ primary: true }, (m) => m.getRepository(User).findOne({ where: { id } }));
  }

  findByEmail(email: string): Promise<User | null> {
    return this.on({ primary: true }, (m) =>
      m.getRepository(User).findOne({ where: { email: email.toLowerCase() } }),
    );
  }

  findByUsername(username: string): Promise<User | null> {
    return this.on({ primary: true }, (m) =>
      m.getRepository(User).findOne({ where: { username: username.toLowerCase() } }),
    );
  }

  /** Email when it contains "@", else username; with the password hash (login). */
  findByLogin(login: string): Promise<User | null> {
    const value = login.trim().toLowerCase();
    const column = value.includes('@') ? 'email' : 'username';
    return this.on({ primary: true }, (m) =>
      m
        .getRepository(User)
        .createQueryBuilder('u')
        .addSelect('u.passwordHash')
        .where(`u.${column} = :value`, { value })
        .getOne(),
    );
  }

  async findPasswordHash(id: string): Promise<string | null> {
    const row = await this.on({ primary: true }, (m) =>
      m
        .getRepository(User)
        .createQueryBuilder('u')
        .select('u.id')
        .addSelect('u.passwordHash')
        .where('u.id = :id', { id })
        .getOne(),
    );
    return row?.passwordHash ?? null;
  }

  /** Admin listing: newest first, keyset-paged, optional active filter and a case-insensitive search. */
  async findFiltered<Item>(
    filter: UserFilter,
    query: { limit: number; cursor?: string },
    map: (row: User) => Item,
  ): Promise<Page<Item>> {
    const qb = this.dataSource.getRepository(User).createQueryBuilder('u');
    if (filter.isActive !== undefined)
      qb.andWhere('u.is_active = :isActive', { isActive: filter.isActive });
    if (filter.search) {
      const pattern = likeContains(filter.search);
      qb.andWhere(
        new Brackets((w) => {
          for (const column of ['email', 'username', 'first_name', 'last_name']) {
            w.orWhere(`LOWER(u.${column}) LIKE :pattern ESCAPE '\\'`, { pattern });
          }
          w.orWhere(`LOWER(u.first_name || ' ' || u.last_name) LIKE :pattern ESCAPE '\\'`, {
            pattern,
          });
        }),
      );
    }
    const rows = await applyKeyset(qb, 'u', decodeCursor(query.cursor), query.limit).getMany();
    return toPage(rows, query.limit, map);
  }

  /** Sets updated_at too; false when there is no such user. */
  /** One UPDATE (it bumps `version`, VersionedEntity); conditional on `expected` (If-Match) when given. */
  async updateUser(
    id: string,
    changes: UserChanges,
    expected?: VersionCondition,
  ): Promise<boolean> {
    const qb = this.dataSource
      .createQueryBuilder()
      .update(User)
      .set({ ...changes, updatedAt: this.clock.now() })
      .where('id = :id', { id });
    const result = await whereVersion(qb, expected).execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Deactivates a user unless that would leave no active platform admin. In one unit: on
   * PostgreSQL the active admins' rows are locked first (FOR UPDATE), so two admins
   * deactivating each other at once are serialised and the second sees the first's write;
   * SQLite units are serial anyway. 'missing' when there is no such user, 'stale' when it is
   * not at an `expected` version (If-Match; nothing written).
   */
  deactivateUnlessLastAdmin(
    id: string,
    expected?: VersionCondition,
  ): Promise<'done' | 'missing' | 'last-admin' | 'stale'> {
    const t = this.postgres ? 'true' : '1';
    return this.uow.run(async (tx) => {
      if (this.postgres) {
        await tx.manager.query(
          `SELECT id FROM users WHERE is_admin = true AND is_active = true FOR UPDATE`,
        );
      }
      const qb = tx.manager
        .createQueryBuilder()
        .update(User)
        .set({ isActive: false, updatedAt: this.clock.now() })
        .where('id = :id', { id })
        .andWhere(
          `(is_admin <> ${t} OR is_active <> ${t} OR EXISTS (SELECT 1 FROM users o WHERE o.is_admin = ${t} AND o.is_active = ${t} AND o.id <> :id))`,
        );
      const result = await whereVersion(qb, expected).execute();
      if ((result.affected ?? 0) > 0) return 'done';
      const now = await tx.manager
        .getRepository(User)
        .findOne({ select: { id: true, version: true }, where: { id } });
      if (!now) return 'missing';
      return expected !== undefined && !expected.includes(now.version) ? 'stale' : 'last-admin';
    });
  }
}
