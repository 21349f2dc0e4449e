import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { CursorPageQueryDto } from '../../common/pagination/pagination';
import { toBoolean } from '../../common/validation/transforms';

export class ListUsersQueryDto extends CursorPageQueryDto {
  /** Only active (true) or inactive (false) users. */
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  isActive?: boolean;

  /** Case-insensitive substring of email, username, first or last name. */
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() || undefined : value))
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  search?: string;
}
