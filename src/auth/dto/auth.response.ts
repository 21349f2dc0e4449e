import { ROLES, Role } from '../../common/auth/access';
import { UserResponse } from '../../users/dto/user.response';
import { ApiProperty } from '@nestjs/swagger';

/** A new session: the bearer token and its lifetime. */
export class AuthTokenResponse {
  user: UserResponse;
  /** JWT (HS256) for `Authorization: Bearer …`. */
  accessToken: string;
  /** Seconds until the token expires. */
  expiresIn: number;
}

export class MyMembershipResponse {
  entityId: string;
  entityName: string;
  @ApiProperty({ enum: ROLES })
  role: Role;
}

/** GET /v1/auth/me: the caller with their memberships in active entities. */
export class MeResponse extends UserResponse {
  memberships: MyMembershipResponse[];
}
