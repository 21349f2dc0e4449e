import { fromJson } from '../database/raw-sql';
import { toDate } from '../database/sql-repository';
import { LogLevel } from './task-log.entity';
import { TaskStatus } from './task.entity';

/** A task as the queries return it (plain object, no entity hydration). */
export interface TaskRow {
  id: string;
  userId: string;
  entityId: string | null;
  name: string;
  config: Record<string, unknown>;
  configVersion: number;
  status: TaskStatus;
  priority: number;
  attempts: number;
  maxAttempts: number;
  claimedBy: string | null;
  leaseExpiresAt: Date | null;
  leaseSeconds: number | null;
  startedAt: Date | null;
  completedAt: Date | null;
  errorMessage: string | null;
  result: unknown;
  computeUnitsConsumed: number;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface TaskLogRow {
  id: string;
  taskId: string;
  level: LogLevel;
  message: string;
  metadata: Record<string, unknown> | null;
  createdAt: Date;
}

/** Column → property, in the order the API shows them. */
export const TASK_COLUMNS: Array<[string, keyof TaskRow]> = [
  ['id', 'id'],
  ['user_id', 'userId'],
  ['entity_id', 'entityId'],
  ['name', 'name'],
  ['config', 'config'],
  ['config_version', 'configVersion'],
  ['status', 'status'],
  ['priority', 'priority'],
  ['attempts', 'attempts'],
  ['max_attempts', 'maxAttempts'],
  ['claimed_by', 'claimedBy'],
  ['lease_expires_at', 'leaseExpiresAt'],
  ['lease_seconds', 'leaseSeconds'],
  ['started_at', 'startedAt'],
  ['completed_at', 'completedAt'],
  ['error_message', 'errorMessage'],
  ['result', 'result'],
  ['compute_units_consumed', 'computeUnitsConsumed'],
  ['version', 'version'],
  ['created_at', 'createdAt'],
  ['updated_at', 'updatedAt'],
];

/** The columns a list shows (no config, result or error text: a page stays small). */
export const TASK_SUMMARY_COLUMNS = TASK_COLUMNS.filter(
  ([column]) => !['config', 'result', 'error_message'].includes(column),
);

/** `t.col AS "prop", …` for raw SQL. */
export function selectList(alias: string, columns = TASK_COLUMNS): string {
  return columns.map(([c, p]) => `${alias}.${c} AS "${p}"`).join(', ');
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function toTaskRow(raw: Record<string, unknown>): TaskRow {
  return {
    id: raw.id as string,
    userId: raw.userId as string,
    entityId: (raw.entityId as string | null) ?? null,
    name: raw.name as string,
    config: raw.config === undefined ? {} : fromJson<Record<string, unknown>>(raw.config),
    configVersion: Number(raw.configVersion ?? 1),
    status: raw.status as TaskStatus,
    priority: Number(raw.priority),
    attempts: Number(raw.attempts),
    maxAttempts: Number(raw.maxAttempts),
    claimedBy: (raw.claimedBy as string | null) ?? null,
    leaseExpiresAt: toDate(raw.leaseExpiresAt),
    leaseSeconds: num(raw.leaseSeconds),
    startedAt: toDate(raw.startedAt),
    completedAt: toDate(raw.completedAt),
    errorMessage: (raw.errorMessage as string | null) ?? null,
    result: raw.result === null || raw.result === undefined ? null : fromJson(raw.result),
    computeUnitsConsumed: Number(raw.computeUnitsConsumed),
    version: Number(raw.version ?? 1),
    createdAt: toDate(raw.createdAt)!,
    updatedAt: toDate(raw.updatedAt)!,
  };
}

export function toTaskLogRow(raw: Record<string, unknown>): TaskLogRow {
  return {
    id: raw.id as string,
    taskId: raw.taskId as string,
    level: raw.level as LogLevel,
    message: raw.message as string,
    metadata:
      raw.metadata === null || raw.metadata === undefined
        ? null
        : fromJson<Record<string, unknown>>(raw.metadata),
    createdAt: toDate(raw.createdAt)!,
  };
}
