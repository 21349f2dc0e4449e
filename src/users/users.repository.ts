import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { Brackets, DataSource, FindOptionsWhere, Repository } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { decodeCursor, Page, toPage } from '../common/pagination/pagination';
import { BaseRepository } from '../database/base.repository';
import { applyKeyset } from '../database/keyset';
import { likeContains } from '../database/like';
import { onPrimary } from '../database/on-primary';
import { User } from './user.entity';

export interface UserFilter {
  isActive?: boolean;
  search?: string;
}

@Injectable()
export class UsersRepository extends BaseRepository<User> {
  constructor(
    @InjectRepository(User) repo: Repository<User>,
    clock: Clock,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    super(repo, clock);
  }

  /** On the primary: feeds the `user:{id}` cache the access guard trusts. */
  override findById(id: string, scope: FindOptionsWhere<User> = {}): Promise<User | null> {
    return onPrimary(this.dataSource, (m) =>
      m.getRepository(User).findOne({ where: { ...scope, id } }),
    );
  }

  findByEmail(email: string): Promise<User | null> {
    return onPrimary(this.dataSource, (m) =>
      m.getRepository(User).findOne({ where: { email: email.toLowerCase() } }),
    );
  }

  findByUsername(username: string): Promise<User | null> {
    return onPrimary(this.dataSource, (m) =>
      m.getRepository(User).findOne({ where: { username: username.toLowerCase() } }),
    );
  }

  /** Email when it contains "@", else username; with the password hash (login). */
  findByLogin(login: string): Promise<User | null> {
    const value = login.trim().toLowerCase();
    const column = value.includes('@') ? 'email' : 'username';
    return onPrimary(this.dataSource, (m) =>
      m
        .getRepository(User)
        .createQueryBuilder('u')
        .addSelect('u.passwordHash')
        .where(`u.${column} = :value`, { value })
        .getOne(),
    );
  }

  async findPasswordHash(id: string): Promise<string | null> {
    const row = await onPrimary(this.dataSource, (m) =>
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
    const qb = this.repo.createQueryBuilder('u');
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

  activate(id: string): Promise<boolean> {
    return this.update(id, { isActive: true });
  }

  deactivate(id: string): Promise<boolean> {
    return this.update(id, { isActive: false });
  }

  recordLogin(id: string, at: Date): Promise<boolean> {
    return this.update(id, { lastLoginAt: at });
  }
}
