import { Column, Entity, Index, PrimaryColumn, PrimaryColumnOptions } from 'typeorm';
import { jsonColumn, NOW_DEFAULT, timestampColumn, uuidColumn } from '../database/column-types';
import type { SystemLogLevel } from '../common/observability/system-event-log';

/**
 * One notable event (task failures, webhook rejections, plan changes, cleanup and backup
 * runs). On PostgreSQL the table is range-partitioned by month on created_at (hand-written in
 * the migration; `SystemLogPartitions` keeps two months ahead), hence the primary key
 * (id, created_at): a partitioned table's unique keys must contain the partition key. On
 * SQLite it is a plain table with the same key.
 */
@Entity('system_logs')
@Index('ix_system_logs_service_level_created', ['service', 'level', 'createdAt'])
@Index('ix_system_logs_created', ['createdAt'])
export class SystemLog {
  @PrimaryColumn(uuidColumn() as PrimaryColumnOptions)
  id: string;

  @PrimaryColumn(timestampColumn({ default: NOW_DEFAULT }) as PrimaryColumnOptions)
  createdAt: Date;

  @Column({ type: 'varchar', length: 100 })
  service: string;

  @Column({ type: 'varchar', length: 10 })
  level: SystemLogLevel;

  @Column({ type: 'varchar', length: 10000 })
  message: string;

  @Column(jsonColumn({ nullable: true }))
  details: Record<string, unknown> | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  requestId: string | null;

  /** No foreign key: the log outlives the users it names. */
  @Column(uuidColumn({ nullable: true }))
  userId: string | null;
}
