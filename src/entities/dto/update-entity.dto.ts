import { Transform } from 'class-transformer';
import { IsString, Length, Matches } from 'class-validator';
import { trim, trimLower } from '../../common/validation/transforms';
import { IsOptionalNotNull } from '../../common/validation/optional';

/** PATCH /v1/entities/:id (admin+). */
export class UpdateEntityDto {
  /** 1–200 characters. */
  @IsOptionalNotNull()
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  name?: string;

  /** Lower-case words joined by "-", 1–100 characters; unique across all entities. */
  @IsOptionalNotNull()
  @Transform(trimLower)
  @IsString()
  @Length(1, 100)
  @Matches(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, {
    message: 'slug must be lower-case letters and digits joined by "-"',
  })
  slug?: string;
}
