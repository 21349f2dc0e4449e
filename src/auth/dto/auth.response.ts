import { ROLES, Role } from '../../common/auth/access';
import { SessionTokensResponse } from '../../users/dto/session-tokens.response';
import { UserResponse } from '../../users/dto/user.response';
import { ApiProperty } from '@nestjs/swagger';

/** A session (sign-in, registration or refresh): its tokens and the user. */
export class AuthTokenResponse extends SessionTokensResponse {
  user: UserResponse;
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
