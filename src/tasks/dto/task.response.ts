import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ApiDateTime, DateTimeString, isoDateTime } from '../../common/http/date-time';
import { LOG_LEVELS, LogLevel } from '../task-log.entity';
import { canBeCancelled, isFinished } from '../task-state-machine';
import { TaskLogRow, TaskRow } from '../task-row';
import { TASK_STATUSES, TaskStatus } from '../task.entity';

/** A task in a list (no config, result or error text). */
export class TaskSummaryResponse {
  id: string;
  userId: string;
  entityId: string | null;
  name: string;
  @ApiProperty({ enum: TASK_STATUSES })
  status: TaskStatus;
  priority: number;
  attempts: number;
  maxAttempts: number;
  computeUnitsConsumed: number;
  @ApiDateTime({ nullable: true })
  startedAt: DateTimeString | null;
  @ApiDateTime({ nullable: true })
  completedAt: DateTimeString | null;
  @ApiDateTime()
  createdAt: DateTimeString;
  @ApiDateTime()
  updatedAt: DateTimeString;
}

/** One task with everything about it. */
export class TaskResponse extends TaskSummaryResponse {
  @ApiProperty({ type: 'object', additionalProperties: true })
  config: Record<string, unknown>;
  configVersion: number;
  /** The worker holding the lease while running. */
  claimedBy: string | null;
  @ApiDateTime({ nullable: true })
  leaseExpiresAt: DateTimeString | null;
  errorMessage: string | null;
  @ApiPropertyOptional({ description: 'Any JSON value the worker reported', nullable: true })
  result: unknown;
  /** Runtime of the current or last attempt, in seconds (null before the first claim). */
  durationSeconds: number | null;
  isFinished: boolean;
  canBeCancelled: boolean;
  /** Bumped by every write (claims, heartbeats, state changes); the task's `ETag` is made from it. */
  version: number;
}

export class TaskPageResponse {
  @ApiProperty({ type: [TaskSummaryResponse] })
  items: TaskSummaryResponse[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export class TaskLogResponse {
  id: string;
  @ApiProperty({ enum: LOG_LEVELS })
  level: LogLevel;
  message: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  metadata: Record<string, unknown> | null;
  @ApiDateTime()
  createdAt: DateTimeString;
}

export class TaskLogPageResponse {
  @ApiProperty({ type: [TaskLogResponse] })
  items: TaskLogResponse[];
  /** Pass as `cursor` for the next (later) page; null on the last page. */
  nextCursor: string | null;
}

export class LogsWrittenResponse {
  /** Lines stored. */
  written: number;
}

export function toTaskSummaryResponse(row: TaskRow): TaskSummaryResponse {
  return {
    id: row.id,
    userId: row.userId,
    entityId: row.entityId,
    name: row.name,
    status: row.status,
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.maxAttempts,
    computeUnitsConsumed: row.computeUnitsConsumed,
    startedAt: isoDateTime(row.startedAt),
    completedAt: isoDateTime(row.completedAt),
    createdAt: isoDateTime(row.createdAt),
    updatedAt: isoDateTime(row.updatedAt),
  };
}

export function toTaskResponse(row: TaskRow, now: Date): TaskResponse {
  const end = row.completedAt ?? (row.status === 'running' ? now : null);
  return {
    ...toTaskSummaryResponse(row),
    config: row.config,
    configVersion: row.configVersion,
    claimedBy: row.claimedBy,
    leaseExpiresAt: isoDateTime(row.leaseExpiresAt),
    errorMessage: row.errorMessage,
    result: row.result,
    durationSeconds:
      row.startedAt && end
        ? Math.max(0, Math.round((end.getTime() - row.startedAt.getTime()) / 1000))
        : null,
    isFinished: isFinished(row.status),
    canBeCancelled: canBeCancelled(row.status),
    version: row.version,
  };
}

export function toTaskLogResponse(row: TaskLogRow): TaskLogResponse {
  return {
    id: row.id,
    level: row.level,
    message: row.message,
    metadata: row.metadata,
    createdAt: isoDateTime(row.createdAt),
  };
}
