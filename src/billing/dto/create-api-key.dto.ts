import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';
import { Scope, SCOPES } from '../../common/auth/access';
import { NoNul, trim } from '../../common/validation/transforms';

/** A new API key: a name, the scopes it grants, and optionally when it expires. */
export class CreateApiKeyDto {
  /** 1–100 characters. */
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @NoNul()
  name: string;

  /** What the key may do; routes declare the scope they need. */
  @ApiProperty({ enum: SCOPES, isArray: true, minItems: 1, maxItems: SCOPES.length })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SCOPES.length)
  @ArrayUnique()
  @IsIn(SCOPES, { each: true, message: `each scope must be one of ${SCOPES.join(', ')}` })
  scopes: Scope[];

  /** When the key stops working (ISO 8601, in the future); never when absent. */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'expiresAt must be an ISO 8601 date-time' })
  expiresAt?: string;
}
