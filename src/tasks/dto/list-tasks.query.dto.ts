import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { CursorPageQueryDto } from '../../common/pagination/pagination';
import { LOG_LEVELS, LogLevel } from '../task-log.entity';
import { TASK_STATUSES, TaskStatus } from '../task.entity';

/** Your tasks (or an organisation's, with entityId), newest first. */
export class ListTasksQueryDto extends CursorPageQueryDto {
  @ApiPropertyOptional({ enum: TASK_STATUSES })
  @IsOptional()
  @IsIn(TASK_STATUSES, { message: `status must be one of ${TASK_STATUSES.join(', ')}` })
  status?: TaskStatus;

  /** The tasks of an organisation you belong to (all its members' tasks). */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'entityId must be a UUID' })
  entityId?: string;
}

/** A task's log, oldest first. */
export class ListTaskLogsQueryDto extends CursorPageQueryDto {
  @ApiPropertyOptional({ enum: LOG_LEVELS })
  @IsOptional()
  @IsIn(LOG_LEVELS, { message: `level must be one of ${LOG_LEVELS.join(', ')}` })
  level?: LogLevel;
}
