import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsString, IsUUID, MaxLength, ValidateIf } from 'class-validator';
import { Role, ROLES } from '../../common/auth/access';
import { trimLower } from '../../common/validation/transforms';

/** POST /v1/entities/:id/members: the user by email or by id (exactly one), and the role. */
export class AddMemberDto {
  /** The user's email (or give userId). */
  @ValidateIf((o: AddMemberDto) => o.userId === undefined || o.email !== undefined)
  @Transform(trimLower)
  @IsString()
  @MaxLength(255)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email?: string;

  /** The user's id (or give email). */
  @ValidateIf((o: AddMemberDto) => o.email === undefined || o.userId !== undefined)
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId?: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: Role;
}
