export const SYSTEM_LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type SystemLogLevel = (typeof SYSTEM_LOG_LEVELS)[number];

export interface SystemEvent {
  /** The module or subsystem that reports it, e.g. `billing`, `tasks` (≤ 100 characters). */
  service: string;
  level: SystemLogLevel;
  /** ≤ 10,000 characters. */
  message: string;
  details?: Record<string, unknown>;
  requestId?: string | null;
  userId?: string | null;
}

/**
 * Port: the queryable system event log (notable events: task failures, webhook rejections,
 * plan changes, member role changes, cleanup and backup runs). Provided by the analytics
 * module; consumers inject it with @Optional() — until a provider exists, nothing is stored.
 * log() never blocks or fails the caller: the provider buffers and writes in batches.
 */
export abstract class SystemEventLog {
  abstract log(event: SystemEvent): void;
}
