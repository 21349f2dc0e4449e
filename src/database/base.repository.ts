import { randomUUID } from 'node:crypto';
import { DeepPartial, FindOptionsWhere, ObjectLiteral, Repository } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { CursorPosition, decodeCursor, Page, toPage } from '../common/pagination/pagination';
import { BaseEntity } from './base.entity';
import { applyKeyset } from './keyset';

/**
 * The generic part every feature repository extends: create, findById, findPage (keyset),
 * update, delete, count. Tenant-scoped repositories pass `{ entityId }` in `scope` on every
 * call; the base never lists without the where clause it is given.
 */
export abstract class BaseRepository<E extends BaseEntity & ObjectLiteral> {
  protected constructor(
    protected readonly repo: Repository<E>,
    protected readonly clock: Clock,
  ) {}

  /** One INSERT (PostgreSQL returns the defaults in the same statement). */
  async create(values: DeepPartial<E>): Promise<E> {
    const now = this.clock.now();
    const entity = this.repo.create({
      id: randomUUID(),
      createdAt: now,
      updatedAt: now,
      ...values,
    } as DeepPartial<E>);
    await this.repo
      .createQueryBuilder()
      .insert()
      .values(entity as never)
      .execute();
    return entity;
  }

  findById(id: string, scope: FindOptionsWhere<E> = {}): Promise<E | null> {
    return this.repo.findOne({ where: { ...scope, id } as FindOptionsWhere<E> });
  }

  async findPage<Item = E>(
    where: FindOptionsWhere<E>,
    query: { limit: number; cursor?: string },
    map: (row: E) => Item = (row) => row as unknown as Item,
  ): Promise<Page<Item>> {
    const position: CursorPosition | null = decodeCursor(query.cursor);
    const qb = this.repo.createQueryBuilder('t').where(where);
    const rows = await applyKeyset(qb, 't', position, query.limit).getMany();
    return toPage(rows, query.limit, map);
  }

  /** Sets updated_at; false when nothing matched (missing or out of scope). */
  async update(
    id: string,
    changes: DeepPartial<E>,
    scope: FindOptionsWhere<E> = {},
  ): Promise<boolean> {
    const result = await this.repo.update(
      { ...scope, id } as FindOptionsWhere<E>,
      {
        ...changes,
        updatedAt: this.clock.now(),
      } as never,
    );
    return (result.affected ?? 0) > 0;
  }

  async delete(id: string, scope: FindOptionsWhere<E> = {}): Promise<boolean> {
    const result = await this.repo.delete({ ...scope, id } as FindOptionsWhere<E>);
    return (result.affected ?? 0) > 0;
  }

  count(where: FindOptionsWhere<E> = {}): Promise<number> {
    return this.repo.count({ where });
  }
}
