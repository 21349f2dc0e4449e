import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsString, IsUUID, MaxLength } from 'class-validator';
import { Role, ROLES } from '../../common/auth/access';
import { trimLower } from '../../common/validation/transforms';

/** POST /v1/entities/:id/members: invite an email address with a role. */
export class InviteMemberDto {
  /** Who to invite; they join once the account with this email accepts. */
  @Transform(trimLower)
  @IsString()
  @MaxLength(255)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: Role;
}

/** POST /v1/admin/entities/:id/members (platform admins): add an account directly. */
export class AdminAddMemberDto {
  /** The user's id. */
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: Role;
}
