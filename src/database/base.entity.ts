import { Column, PrimaryColumn, PrimaryColumnOptions, VersionColumn } from 'typeorm';
import { NOW_DEFAULT, timestampColumn, uuidColumn } from './column-types';

/**
 * uuid id and millisecond created_at/updated_at. Ids and timestamps are set by the
 * repository from the injected Clock (BaseRepository.create), so tests can move time and
 * hot-path inserts need no read-back; the column defaults only serve raw SQL.
 */
export abstract class BaseEntity {
  @PrimaryColumn(uuidColumn() as PrimaryColumnOptions)
  id: string;

  @Column(timestampColumn({ default: NOW_DEFAULT }))
  createdAt: Date;

  @Column(timestampColumn({ default: NOW_DEFAULT }))
  updatedAt: Date;
}

/**
 * A BaseEntity whose rows carry a `version` that every write bumps: the source of the strong
 * ETag and the If-Match condition (src/common/http/etag.ts). TypeORM increments it on save()
 * and on every query-builder UPDATE of the entity; raw SQL updates bump it themselves. New
 * rows (and the rows that existed before the column) start at 1.
 */
export abstract class VersionedEntity extends BaseEntity {
  @VersionColumn({ default: 1 })
  version: number;
}
