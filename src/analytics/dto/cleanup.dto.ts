import { IsInt, Max, Min } from 'class-validator';

export const MAX_CLEANUP_DAYS = 3650;

/** POST /v1/admin/maintenance/cleanup and `cli cleanup --days`: what is old enough to delete. */
export class CleanupDto {
  /** Delete what is older than this many days (1–3650). */
  @IsInt({ message: 'olderThanDays must be an integer' })
  @Min(1)
  @Max(MAX_CLEANUP_DAYS)
  olderThanDays: number;
}

export class CleanupDeletedCounts {
  /** System events (dropped partitions included). */
  systemLogs: number;
  /** Task log lines. */
  taskLogs: number;
  /** Completed or failed tool generations. */
  toolGenerations: number;
  /** Completed or failed analyses, with their files (rows and stored files). */
  analyses: number;
  /** Resume files still kept under deleted entities, whatever their age (normally 0: deleting an entity purges them). */
  resumesOfDeletedEntities: number;
}

export class CleanupResponse {
  olderThanDays: number;
  /** Everything created (logs) or last changed (generations, analyses) before this instant was deleted. */
  cutoff: string;
  deleted: CleanupDeletedCounts;
  /** Monthly system_logs partitions dropped whole (PostgreSQL; always empty on SQLite). */
  droppedPartitions: string[];
}
