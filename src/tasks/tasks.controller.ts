import { IfMatch, VersionCondition, Versioned, VersionedOptions } from '../common/http/etag';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { Authenticated, CurrentPrincipal, Principal, Scopes } from '../common/auth/access';
import { CreateTaskDto } from './dto/create-task.dto';
import { ListTaskLogsQueryDto, ListTasksQueryDto } from './dto/list-tasks.query.dto';
import {
  LogsWrittenResponse,
  TaskLogPageResponse,
  TaskPageResponse,
  TaskResponse,
} from './dto/task.response';
import {
  ClaimTaskDto,
  CompleteTaskDto,
  FailTaskDto,
  HeartbeatDto,
  WriteTaskLogsDto,
} from './dto/worker.dto';
import { TasksService } from './tasks.service';
import { Idempotent } from '../common/idempotency/idempotent';

const ILLEGAL = 'Illegal state change (the problem carries `currentStatus`)';
const NOT_HOLDER =
  'The task is not running, or another worker holds it (`currentStatus` in the problem)';

/**
 * A running task's durationSeconds grows with the clock, not with its version: the tag covers
 * it, so a poll never gets a 304 with a stale duration (README, "ETag and If-Match").
 */
const TASK_TAG: VersionedOptions = { varies: ['durationSeconds'] };

/**
 * Scraping tasks. Users (JWT, or API keys with tasks:read / tasks:write) create and follow
 * them; workers (API keys with tasks:work) claim, heartbeat, log, complete and fail them. A
 * platform admin's worker key serves the whole queue; anyone else's only their own tasks.
 * Tasks of other users answer 404 on every route.
 */
@ApiTags('tasks')
@Controller('tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  /** Creates a pending task (402 when no compute units are left, 409 at the plan's concurrency cap). */
  @Post()
  @Idempotent()
  @Authenticated()
  @Scopes('tasks:write')
  @ApiCreatedResponse({ type: TaskResponse })
  @ApiBadRequestResponse({
    description: 'Invalid name, config (URL, size), priority or maxAttempts',
  })
  @ApiResponse({
    status: 402,
    description: 'No compute units left (type /problems/quota-exceeded)',
  })
  @ApiNotFoundResponse({ description: 'entityId names an organisation you are not a member of' })
  @ApiConflictResponse({
    description: 'Concurrent-task cap reached (type /problems/concurrency-limit)',
  })
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateTaskDto,
  ): Promise<TaskResponse> {
    return this.tasks.create(principal, dto);
  }

  /** Your tasks, newest first; with `entityId`, the tasks of that organisation (members only). */
  @Get()
  @Authenticated()
  @Scopes('tasks:read')
  @ApiOkResponse({ type: TaskPageResponse })
  @ApiBadRequestResponse({ description: 'Unknown status, bad limit or cursor' })
  @ApiNotFoundResponse({ description: 'entityId names an organisation you are not a member of' })
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListTasksQueryDto,
  ): Promise<TaskPageResponse> {
    return this.tasks.list(principal, query);
  }

  /** Claims the highest-priority, oldest pending task: 200 with it (now running), 204 when none. */
  @Post('claim')
  @HttpCode(200)
  @Authenticated()
  @Scopes('tasks:work')
  @ApiOkResponse({ type: TaskResponse })
  @ApiNoContentResponse({ description: 'No pending task for this worker' })
  @ApiBadRequestResponse({ description: 'workerId or leaseSeconds (10–3600) invalid' })
  async claim(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: ClaimTaskDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskResponse | undefined> {
    const task = await this.tasks.claim(principal, dto);
    if (!task) {
      reply.status(204);
      return undefined;
    }
    return task;
  }

  /** One task, with durationSeconds, isFinished and canBeCancelled. */
  @Get(':id')
  @Authenticated()
  @Scopes('tasks:read')
  @Versioned('task', TASK_TAG)
  @ApiOkResponse({ type: TaskResponse })
  @ApiBadRequestResponse({ description: 'id is not a UUID' })
  @ApiNotFoundResponse({ description: 'No such task of yours' })
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<TaskResponse> {
    return this.tasks.get(principal, id.toLowerCase());
  }

  /** Cancels a pending or running task (its creator or an admin of its organisation). */
  @Post(':id/cancel')
  @HttpCode(200)
  @Authenticated()
  @Scopes('tasks:write')
  @Versioned('task', TASK_TAG)
  @ApiOkResponse({ type: TaskResponse })
  @ApiBadRequestResponse({ description: 'id is not a UUID' })
  @ApiForbiddenResponse({
    description: 'A member who is neither the creator nor an organisation admin',
  })
  @ApiNotFoundResponse({ description: 'No such task of yours' })
  @ApiConflictResponse({ description: ILLEGAL })
  cancel(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @IfMatch() expected: VersionCondition,
  ): Promise<TaskResponse> {
    return this.tasks.cancel(principal, id.toLowerCase(), expected);
  }

  /** The task's log, oldest first, keyset-paged; filter by level. */
  @Get(':id/logs')
  @Authenticated()
  @Scopes('tasks:read')
  @ApiOkResponse({ type: TaskLogPageResponse })
  @ApiBadRequestResponse({ description: 'id is not a UUID, unknown level, bad limit or cursor' })
  @ApiNotFoundResponse({ description: 'No such task of yours' })
  logs(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query() query: ListTaskLogsQueryDto,
  ): Promise<TaskLogPageResponse> {
    return this.tasks.logs(principal, id.toLowerCase(), query);
  }

  /** Writes one line or a batch of up to 500 (the worker holding the task). */
  @Post(':id/logs')
  @Authenticated()
  @Scopes('tasks:work')
  @ApiCreatedResponse({ type: LogsWrittenResponse })
  @ApiBadRequestResponse({
    description:
      'Invalid level, message over 10,000 characters, metadata over 16 KB, over 500 entries',
  })
  @ApiNotFoundResponse({ description: 'No such task for this worker' })
  @ApiConflictResponse({ description: NOT_HOLDER })
  @ApiPayloadTooLargeResponse({ description: 'Body over 1 MiB' })
  async writeLogs(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: WriteTaskLogsDto,
  ): Promise<LogsWrittenResponse> {
    return { written: await this.tasks.writeLogs(principal, id.toLowerCase(), dto) };
  }

  /** Extends the lease (the worker holding the task only). */
  @Post(':id/heartbeat')
  @HttpCode(200)
  @Authenticated()
  @Scopes('tasks:work')
  @ApiOkResponse({ type: TaskResponse })
  @ApiBadRequestResponse({ description: 'Invalid workerId or leaseSeconds' })
  @ApiNotFoundResponse({ description: 'No such task for this worker' })
  @ApiConflictResponse({ description: NOT_HOLDER })
  heartbeat(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: HeartbeatDto,
  ): Promise<TaskResponse> {
    return this.tasks.heartbeat(principal, id.toLowerCase(), dto);
  }

  /** Completes the task with its result; charges the run's compute units once. */
  @Post(':id/complete')
  @HttpCode(200)
  @Authenticated()
  @Scopes('tasks:work')
  @ApiOkResponse({ type: TaskResponse })
  @ApiBadRequestResponse({ description: 'Invalid workerId, result over 1 MB' })
  @ApiNotFoundResponse({ description: 'No such task for this worker' })
  @ApiConflictResponse({ description: NOT_HOLDER })
  @ApiPayloadTooLargeResponse({ description: 'Body over 1 MiB' })
  @Versioned('task', TASK_TAG)
  complete(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: CompleteTaskDto,
    @IfMatch() expected: VersionCondition,
  ): Promise<TaskResponse> {
    return this.tasks.complete(principal, id.toLowerCase(), dto, expected);
  }

  /** Fails the attempt; retryable with attempts left → pending again. Charges the attempt once. */
  @Post(':id/fail')
  @HttpCode(200)
  @Authenticated()
  @Scopes('tasks:work')
  @ApiOkResponse({ type: TaskResponse })
  @ApiBadRequestResponse({ description: 'Invalid workerId, error empty or over 10,000 characters' })
  @ApiNotFoundResponse({ description: 'No such task for this worker' })
  @ApiConflictResponse({ description: NOT_HOLDER })
  @Versioned('task', TASK_TAG)
  fail(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: FailTaskDto,
    @IfMatch() expected: VersionCondition,
  ): Promise<TaskResponse> {
    return this.tasks.fail(principal, id.toLowerCase(), dto, expected);
  }
}
