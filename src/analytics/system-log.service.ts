import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock/clock';
import {
  SYSTEM_LOG_LEVELS,
  SystemEvent,
  SystemEventLog,
  SystemLogLevel,
} from '../common/observability/system-event-log';
import { decodeCursor, Page, toPage } from '../common/pagination/pagination';
import { ListSystemLogsQueryDto } from './dto/system-logs.query.dto';
import { SystemLogResponse, toSystemLogResponse } from './dto/system-log.response';
import {
  monthStart,
  NewSystemLog,
  partitionName,
  SystemLogsRepository,
} from './system-logs.repository';
import { waitAtMost } from '../common/scheduling/shutdown-wait';
import { deleteInBatches } from '../database/batched-delete';

/** A batch is written when this many events wait, or FLUSH_MS after the first one. */
export const SYSTEM_LOG_BATCH = 200;
export const SYSTEM_LOG_FLUSH_MS = 1_000;
/** Rows per DELETE statement in cleanup. */
const CLEANUP_BATCH = 5000;
/** Events kept while the database is away; beyond, the oldest are dropped (with a warning). */
const MAX_BUFFERED = 20_000;

/**
 * The system event log (the SystemEventLog port). log() only appends to an in-memory buffer —
 * a burst never blocks a request — which is written as one multi-row INSERT when
 * SYSTEM_LOG_BATCH events wait or SYSTEM_LOG_FLUSH_MS after the first, and at shutdown
 * (beforeApplicationShutdown, before the database closes: SIGTERM loses nothing). A failed
 * write keeps its events for the next flush.
 */
@Injectable()
export class SystemLogService
  extends SystemEventLog
  implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown
{
  private readonly logger = new Logger('SystemLog');
  private buffer: NewSystemLog[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly repository: SystemLogsRepository,
    private readonly clock: Clock,
  ) {
    super();
  }

  onModuleInit(): void {
    this.closed = false;
  }

  /** `log(event)` (the port) or `log(service, level, message, details?)`. */
  log(event: SystemEvent): void;
  log(
    service: string,
    level: SystemLogLevel,
    message: string,
    details?: Record<string, unknown>,
  ): void;
  log(
    eventOrService: SystemEvent | string,
    level?: SystemLogLevel,
    message?: string,
    details?: Record<string, unknown>,
  ): void {
    const event: SystemEvent =
      typeof eventOrService === 'string'
        ? { service: eventOrService, level: level ?? 'INFO', message: message ?? '', details }
        : eventOrService;
    this.buffer.push({
      id: randomUUID(),
      createdAt: this.clock.now(),
      service: String(event.service).slice(0, 100),
      level: SYSTEM_LOG_LEVELS.includes(event.level) ? event.level : 'INFO',
      message: String(event.message).slice(0, 10_000),
      details: event.details ?? null,
      requestId: event.requestId?.slice(0, 100) ?? null,
      userId: event.userId ?? null,
    });
    if (this.buffer.length > MAX_BUFFERED) {
      const dropped = this.buffer.splice(0, this.buffer.length - MAX_BUFFERED);
      this.logger.warn(`system log buffer full: dropped the ${dropped.length} oldest events`);
    }
    if (this.buffer.length >= SYSTEM_LOG_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), SYSTEM_LOG_FLUSH_MS).unref();
  }

  /** Writes everything buffered (in batches of SYSTEM_LOG_BATCH). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.buffer.length === 0) return;
    const pending = this.buffer;
    this.buffer = [];
    this.flushing = (async () => {
      for (let i = 0; i < pending.length; i += SYSTEM_LOG_BATCH) {
        const batch = pending.slice(i, i + SYSTEM_LOG_BATCH);
        try {
          await this.repository.insertMany(batch);
        } catch (error) {
          this.logger.warn(`system log not written yet: ${(error as Error).message}`);
          this.buffer.unshift(...pending.slice(i));
          if (!this.closed)
            this.timer ??= setTimeout(() => void this.flush(), SYSTEM_LOG_FLUSH_MS).unref();
          return;
        }
      }
    })();
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Bounded: the listener closes only after this returns (shutdown-wait.ts); the flush goes on.
    await waitAtMost(this.flush());
  }

  onModuleDestroy(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * db:check on PostgreSQL: system_logs is partitioned, with its default partition and the
   * partitions of this month and the next (the upkeep job keeps them); one line per problem.
   */
  async partitionProblems(now: Date): Promise<string[]> {
    const state = await this.repository.partitioning();
    if (!state) return [];
    const { partitioned, hasDefault } = state;
    if (!partitioned)
      return ['system_logs is not partitioned (the Analytics migration makes it so)'];
    const problems = hasDefault ? [] : ['system_logs has no default partition'];
    const names = new Set((await this.repository.listPartitions()).map((p) => p.name));
    for (const month of [monthStart(now), monthStart(now, 1)]) {
      const name = partitionName(month);
      if (!names.has(name)) problems.push(`system_logs partition ${name} is missing`);
    }
    return problems;
  }

  /**
   * Removes events created before `cutoff`: on PostgreSQL whole monthly partitions that end by
   * then are dropped (no row-by-row delete); what is left goes in batched DELETEs.
   */
  async deleteBefore(cutoff: Date): Promise<{ deleted: number; droppedPartitions: string[] }> {
    await this.flush();
    let deleted = 0;
    const droppedPartitions: string[] = [];
    for (const partition of await this.repository.listPartitions()) {
      if (partition.to.getTime() > cutoff.getTime()) continue;
      deleted += await this.repository.dropPartition(partition.name);
      droppedPartitions.push(partition.name);
    }
    deleted += await deleteInBatches(CLEANUP_BATCH, (limit) =>
      this.repository.deleteOlderThan(cutoff, limit),
    );
    return { deleted, droppedPartitions };
  }

  async list(query: ListSystemLogsQueryDto): Promise<Page<SystemLogResponse>> {
    await this.flush();
    const rows = await this.repository.findPage(
      {
        service: query.service,
        level: query.level,
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
        q: query.q,
      },
      query.limit,
      decodeCursor(query.cursor),
    );
    return toPage(rows, query.limit, toSystemLogResponse);
  }
}
