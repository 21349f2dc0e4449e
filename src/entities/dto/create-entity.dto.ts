import { Transform } from 'class-transformer';
import { IsString, Length } from 'class-validator';
import { trim } from '../../common/validation/transforms';

/** POST /v1/entities. */
export class CreateEntityDto {
  /** 1–200 characters; the slug is derived from it. */
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  name: string;
}
