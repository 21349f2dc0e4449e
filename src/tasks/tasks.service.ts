import { assertVersion, VersionCondition } from '../common/http/etag';
import {
  BadRequestException,
  ForbiddenException,
  Injectable,
  Logger,
  NotFoundException,
  Optional,
} from '@nestjs/common';
import { BillingService } from '../billing/billing.service';
import { ConcurrencyLimitException, QuotaExceededException } from '../billing/billing-problems';
import { Principal, roleAtLeast } from '../common/auth/access';
import { Clock } from '../common/clock/clock';
import { SystemEventLog } from '../common/observability/system-event-log';
import { UsageDelta, UsageRecorder } from '../common/observability/usage-recorder';
import { decodeCursor, Page, toPage } from '../common/pagination/pagination';
import { tryAdvisoryLock } from '../database/advisory-lock';
import { deleteInBatches } from '../database/batched-delete';
import { Tx, UnitOfWork } from '../database/unit-of-work';
import { EntitiesService } from '../entities/entities.service';
import { CreateTaskDto } from './dto/create-task.dto';
import { ListTaskLogsQueryDto, ListTasksQueryDto } from './dto/list-tasks.query.dto';
import {
  TaskLogResponse,
  TaskResponse,
  TaskSummaryResponse,
  toTaskLogResponse,
  toTaskResponse,
  toTaskSummaryResponse,
} from './dto/task.response';
import {
  ClaimTaskDto,
  CompleteTaskDto,
  FailTaskDto,
  HeartbeatDto,
  WriteTaskLogsDto,
} from './dto/worker.dto';
import { TaskRow } from './task-row';
import {
  assertTransition,
  computeUnitsFor,
  IllegalTransitionException,
} from './task-state-machine';
import { TaskStatus } from './task.entity';
import { NewLogLine, TaskChanges, TasksRepository } from './tasks.repository';

/** The lease sweep's job and advisory-lock name (one instance sweeps at a time). */
export const LEASE_SWEEP_JOB = 'tasks-lease-sweep';

/** Expired leases handled per sweep run (the rest wait for the next run). */
export const SWEEP_BATCH = 200;

const notFound = () => new NotFoundException('Task not found');
/** Rows per DELETE statement in cleanup. */
const CLEANUP_BATCH = 1000;

/**
 * The task lifecycle; the only caller of TasksRepository. Every status change goes through
 * `change()`, which checks it against the state machine on the row as locked in the unit of
 * work, so an illegal change is a 409 with the current status whatever raced with it. A run
 * that ends (complete, fail, expired lease, cancel while running) is charged its runtime —
 * ceil(minutes), at least 1, capped at what is left — through BillingService in the same unit
 * as the status change: a task is charged exactly once per attempt.
 */
@Injectable()
export class TasksService {
  private readonly log = new Logger('Tasks');

  constructor(
    private readonly tasks: TasksRepository,
    private readonly billing: BillingService,
    private readonly entities: EntitiesService,
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    @Optional() private readonly usage?: UsageRecorder,
    @Optional() private readonly events?: SystemEventLog,
  ) {}

  // ── users ────────────────────────────────────────────────────────────────

  /**
   * 402 when the subscription has no CU left, 409 (concurrency-limit) when the plan's cap of
   * pending + running tasks is reached. The check and the insert are serialised per user: the
   * unit locks the user's subscription row first (SQLite units are serial).
   */
  async create(principal: Principal, dto: CreateTaskDto): Promise<TaskResponse> {
    const entityId = dto.entityId?.toLowerCase() ?? null;
    if (entityId && !(await this.entities.roleOf(principal.userId, entityId))) {
      throw new NotFoundException('Entity not found');
    }
    const row = await this.uow.run(async (tx) => {
      await this.billing.lockSubscription(principal.userId, tx);
      const active = await this.tasks.countActive(principal.userId, tx);
      const allowance = await this.billing.canCreateTask(principal.userId, active, { tx });
      if (!allowance.allowed) {
        throw allowance.reason === 'quota-exceeded'
          ? new QuotaExceededException()
          : new ConcurrencyLimitException(allowance.maxConcurrentTasks);
      }
      return this.tasks.insertTask(
        principal.userId,
        {
          entityId,
          name: dto.name,
          config: dto.config,
          priority: dto.priority ?? 0,
          maxAttempts: dto.maxAttempts ?? 3,
        },
        tx,
      );
    });
    this.record({ userId: principal.userId, tasksCreated: 1 });
    return toTaskResponse(row, this.clock.now());
  }

  /** Your tasks, or (with entityId, as a member) the organisation's; newest first. */
  async list(principal: Principal, query: ListTasksQueryDto): Promise<Page<TaskSummaryResponse>> {
    const cursor = decodeCursor(query.cursor);
    const filters = { status: query.status };
    let rows: TaskRow[];
    if (query.entityId) {
      const entityId = query.entityId.toLowerCase();
      if (!(await this.entities.roleOf(principal.userId, entityId)))
        throw new NotFoundException('Entity not found');
      rows = await this.tasks.findPageOfEntity(entityId, filters, query.limit, cursor);
    } else {
      rows = await this.tasks.findPageOfUser(principal.userId, filters, query.limit, cursor);
    }
    return toPage(rows, query.limit, toTaskSummaryResponse);
  }

  async get(principal: Principal, id: string): Promise<TaskResponse> {
    return toTaskResponse(await this.visible(principal, id), this.clock.now());
  }

  /** The creator or an admin of the task's organisation; pending or running only (409 otherwise). */
  async cancel(
    principal: Principal,
    id: string,
    expected?: VersionCondition,
  ): Promise<TaskResponse> {
    const task = await this.visible(principal, id);
    if (task.userId !== principal.userId) {
      const role = task.entityId
        ? await this.entities.roleOf(principal.userId, task.entityId)
        : null;
      if (!role || !roleAtLeast(role, 'admin')) {
        throw new ForbiddenException('Only the creator or an organisation admin may cancel a task');
      }
    }
    const { row, charged } = await this.change(
      id,
      'cancelled',
      'cancel',
      (current, now) => ({
        status: 'cancelled',
        claimedBy: null,
        leaseExpiresAt: null,
        completedAt: now,
        ...(current.status === 'running' ? { charge: true } : {}),
      }),
      expected,
    );
    this.record({ userId: row.userId, computeUnits: charged });
    return toTaskResponse(row, this.clock.now());
  }

  async logs(
    principal: Principal,
    id: string,
    query: ListTaskLogsQueryDto,
  ): Promise<Page<TaskLogResponse>> {
    const cursor = decodeCursor(query.cursor);
    await this.visible(principal, id);
    const rows = await this.tasks.findLogsPage(id, query.level, query.limit, cursor);
    return toPage(rows, query.limit, toTaskLogResponse);
  }

  // ── workers ──────────────────────────────────────────────────────────────

  /**
   * The next task for this worker, or null. A platform admin's key claims from the whole queue
   * (hosted workers); anyone else's only their own tasks (self-hosted workers).
   */
  async claim(principal: Principal, dto: ClaimTaskDto): Promise<TaskResponse | null> {
    const row = await this.tasks.claim(
      dto.workerId,
      dto.leaseSeconds,
      principal.isAdmin ? null : principal.userId,
    );
    return row ? toTaskResponse(row, this.clock.now()) : null;
  }

  async heartbeat(principal: Principal, id: string, dto: HeartbeatDto): Promise<TaskResponse> {
    const task = await this.workable(principal, id);
    const seconds = dto.leaseSeconds ?? task.leaseSeconds ?? 60;
    const until = new Date(this.clock.now().getTime() + seconds * 1000);
    if (!(await this.tasks.extendLease(id, dto.workerId, until, seconds))) {
      throw this.notHolder((await this.tasks.findById(id)) ?? task, dto.workerId);
    }
    return toTaskResponse((await this.tasks.findById(id))!, this.clock.now());
  }

  /** One line or a batch (≤ 500) in one INSERT; the task must be running (and held by `workerId` when given). */
  async writeLogs(principal: Principal, id: string, dto: WriteTaskLogsDto): Promise<number> {
    const lines = this.logLines(dto);
    const task = await this.workable(principal, id);
    if (task.status !== 'running' || (dto.workerId && task.claimedBy !== dto.workerId)) {
      throw this.notHolder(task, dto.workerId);
    }
    return this.tasks.insertLogs(id, lines);
  }

  async complete(
    principal: Principal,
    id: string,
    dto: CompleteTaskDto,
    expected?: VersionCondition,
  ): Promise<TaskResponse> {
    await this.workable(principal, id);
    const { row, charged } = await this.change(
      id,
      'completed',
      'complete',
      (current, now) => {
        this.assertHolder(current, dto.workerId);
        return {
          status: 'completed',
          leaseExpiresAt: null,
          completedAt: now,
          result: dto.result ?? null,
          charge: true,
        };
      },
      expected,
    );
    this.record({ userId: row.userId, tasksCompleted: 1, computeUnits: charged });
    return toTaskResponse(row, this.clock.now());
  }

  /** A retryable failure with attempts left goes back to pending; otherwise the task fails. */
  async fail(
    principal: Principal,
    id: string,
    dto: FailTaskDto,
    expected?: VersionCondition,
  ): Promise<TaskResponse> {
    await this.workable(principal, id);
    let final = false;
    const { row, charged } = await this.change(
      id,
      null,
      'fail',
      (current, now) => {
        this.assertHolder(current, dto.workerId);
        final = !dto.retryable || current.attempts >= current.maxAttempts;
        return final
          ? {
              status: 'failed',
              leaseExpiresAt: null,
              completedAt: now,
              errorMessage: dto.error,
              charge: true,
            }
          : {
              status: 'pending',
              claimedBy: null,
              leaseExpiresAt: null,
              startedAt: null,
              errorMessage: dto.error,
              charge: true,
            };
      },
      expected,
    );
    this.record({
      userId: row.userId,
      computeUnits: charged,
      ...(final ? { tasksFailed: 1 } : {}),
    });
    if (final) this.failed(row, `failed: ${dto.error}`);
    return toTaskResponse(row, this.clock.now());
  }

  /**
   * Returns running tasks whose lease expired to pending (attempts left) or fails them, charging
   * the attempt up to the lease's end and logging why on the task. One instance at a time on
   * PostgreSQL (advisory lock; the others skip); called every TASK_LEASE_SWEEP_SECONDS.
   */
  async sweepExpiredLeases(): Promise<{ requeued: number; failed: number; skipped?: true }> {
    const outcome = { requeued: 0, failed: 0 };
    const done: Array<{ row: TaskRow; charged: number; final: boolean }> = [];
    const locked = await this.uow.run(async (tx) => {
      if (!(await tryAdvisoryLock(tx, LEASE_SWEEP_JOB))) return false;
      const now = this.clock.now();
      for (const id of await this.tasks.findExpiredLeases(now, SWEEP_BATCH, tx)) {
        const current = await this.tasks.findForUpdate(id, tx);
        // Completed, failed or re-leased since it was listed: nothing to do.
        if (!current || current.status !== 'running' || !current.leaseExpiresAt) continue;
        if (current.leaseExpiresAt >= now) continue;
        const final = current.attempts >= current.maxAttempts;
        const changes: TaskChanges = final
          ? {
              status: 'failed',
              leaseExpiresAt: null,
              completedAt: now,
              errorMessage: 'Lease expired',
            }
          : { status: 'pending', claimedBy: null, leaseExpiresAt: null, startedAt: null };
        const charged = await this.charge(current, current.leaseExpiresAt, tx);
        const row = await this.tasks.transition(
          id,
          'running',
          { ...changes, addComputeUnits: charged },
          tx,
        );
        await this.tasks.insertLogs(
          id,
          [
            {
              level: final ? 'error' : 'warning',
              message: final
                ? `Lease of worker ${current.claimedBy} expired at ${current.leaseExpiresAt.toISOString()}; attempt ${current.attempts} of ${current.maxAttempts}: task failed`
                : `Lease of worker ${current.claimedBy} expired at ${current.leaseExpiresAt.toISOString()}; attempt ${current.attempts} of ${current.maxAttempts}: back to pending`,
              metadata: {
                reason: 'lease_expired',
                workerId: current.claimedBy,
                attempt: current.attempts,
              },
            },
          ],
          { tx },
        );
        done.push({ row, charged, final });
      }
      return true;
    });
    for (const { row, charged, final } of done) {
      if (final) outcome.failed++;
      else outcome.requeued++;
      this.record({
        userId: row.userId,
        computeUnits: charged,
        ...(final ? { tasksFailed: 1 } : {}),
      });
      if (final) this.failed(row, 'lease expired after the last attempt');
    }
    if (outcome.requeued + outcome.failed > 0) this.log.log(outcome, 'expired task leases swept');
    return locked ? outcome : { ...outcome, skipped: true };
  }

  // ── maintenance ──────────────────────────────────────────────────────────

  /** Deletes log lines written before `cutoff`, in batches (no long lock); how many. */
  deleteLogsBefore(cutoff: Date): Promise<number> {
    return deleteInBatches(CLEANUP_BATCH, (limit) => this.tasks.deleteLogsBefore(cutoff, limit));
  }

  // ── internals ────────────────────────────────────────────────────────────

  /**
   * One status change in a unit of work: the row is locked and read, `plan` decides the change
   * (it may throw), the state machine checks it, and a run that ends is charged in the same unit.
   */
  private async change(
    id: string,
    to: TaskStatus | null,
    action: string,
    plan: (current: TaskRow, now: Date) => TaskChanges & { charge?: boolean },
    expected?: VersionCondition,
  ): Promise<{ row: TaskRow; charged: number }> {
    return this.uow.run(async (tx) => {
      const current = await this.tasks.findForUpdate(id, tx);
      if (!current) throw notFound();
      // The row is locked until the unit ends: checking its version here is as atomic as a condition in the UPDATE.
      assertVersion(expected, current.version, () => toTaskResponse(current, this.clock.now()));
      if (to) assertTransition(current.status, to, action);
      const now = this.clock.now();
      const { charge, ...changes } = plan(current, now);
      assertTransition(current.status, changes.status, action);
      const charged = charge ? await this.charge(current, now, tx) : 0;
      const row = await this.tasks.transition(
        id,
        current.status,
        { ...changes, addComputeUnits: charged },
        tx,
      );
      return { row, charged };
    });
  }

  /** The attempt's runtime up to `end`, in CU, capped at what the subscription has left. */
  private async charge(task: TaskRow, end: Date, tx: Tx): Promise<number> {
    return this.billing.consumeComputeUnits(
      task.userId,
      computeUnitsFor(task.startedAt, end),
      task.id,
      `task ${task.id} attempt ${task.attempts}`,
      { tx, upTo: true },
    );
  }

  /** The task if the caller created it or is a member of its organisation; 404 otherwise. */
  private async visible(principal: Principal, id: string): Promise<TaskRow> {
    const task = await this.tasks.findById(id);
    if (!task) throw notFound();
    if (task.userId === principal.userId) return task;
    if (task.entityId && (await this.entities.roleOf(principal.userId, task.entityId))) return task;
    throw notFound();
  }

  /** For workers: a platform admin reaches every task, anyone else only their own (404 otherwise). */
  private async workable(principal: Principal, id: string): Promise<TaskRow> {
    const task = await this.tasks.findById(id);
    if (!task || (!principal.isAdmin && task.userId !== principal.userId)) throw notFound();
    return task;
  }

  private assertHolder(task: TaskRow, workerId: string): void {
    if (task.status !== 'running' || task.claimedBy !== workerId)
      throw this.notHolder(task, workerId);
  }

  private notHolder(task: TaskRow, workerId: string | undefined): IllegalTransitionException {
    return new IllegalTransitionException(
      task.status,
      task.status === 'running'
        ? `This task is held by another worker${workerId ? ` than ${workerId}` : ''}`
        : `This task is ${task.status}; only a running task's worker may do this`,
    );
  }

  private logLines(dto: WriteTaskLogsDto): NewLogLine[] {
    if (dto.entries) {
      if (dto.level !== undefined || dto.message !== undefined || dto.metadata !== undefined) {
        throw new BadRequestException({
          detail: 'Send either one line (level, message, metadata) or entries, not both',
          errors: [{ field: 'entries', message: 'cannot be combined with level/message/metadata' }],
        });
      }
      return dto.entries.map((e) => ({
        level: e.level,
        message: e.message,
        metadata: e.metadata ?? null,
      }));
    }
    if (dto.level === undefined || dto.message === undefined) {
      throw new BadRequestException({
        detail: 'A log line needs level and message (or send entries)',
        errors: [
          ...(dto.level === undefined ? [{ field: 'level', message: 'is required' }] : []),
          ...(dto.message === undefined ? [{ field: 'message', message: 'is required' }] : []),
        ],
      });
    }
    return [{ level: dto.level, message: dto.message, metadata: dto.metadata ?? null }];
  }

  private record(delta: UsageDelta): void {
    const { userId, ...counts } = delta;
    if (Object.values(counts).some((v) => typeof v === 'number' && v > 0))
      this.usage?.record({
        userId,
        ...Object.fromEntries(Object.entries(counts).filter(([, v]) => v)),
      });
  }

  private failed(row: TaskRow, why: string): void {
    this.events?.log({
      service: 'tasks',
      level: 'WARNING',
      message: `Task ${row.id} ${why}`.slice(0, 10_000),
      details: { taskId: row.id, attempts: row.attempts, maxAttempts: row.maxAttempts },
      userId: row.userId,
    });
  }
}
