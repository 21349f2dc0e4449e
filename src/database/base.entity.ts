import { Column, PrimaryColumn, PrimaryColumnOptions } from 'typeorm';
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
