import { ApiProperty } from '@nestjs/swagger';
import { Role, ROLES } from '../../common/auth/access';

/** An organisation, with the caller's role in it. */
export class EntityResponse {
  id: string;
  name: string;
  slug: string;
  @ApiProperty({ enum: ROLES })
  role: Role;
  /** Bumped by every write of the organisation; its `ETag` is made from it. */
  version: number;
  /** ISO 8601 */
  createdAt: string;
  /** ISO 8601 */
  updatedAt: string;
}

export class EntityPageResponse {
  items: EntityResponse[];
  nextCursor: string | null;
}

/** A member of an organisation. */
export class MemberResponse {
  userId: string;
  email: string;
  username: string | null;
  firstName: string | null;
  lastName: string | null;
  @ApiProperty({ enum: ROLES })
  role: Role;
  /** Bumped by every change of the membership; the ETag of `GET …/members/{userId}` in `If-Match` makes a role change or removal conditional on it. */
  version: number;
  /** When the membership was created (ISO 8601). */
  joinedAt: string;
}

export class MemberPageResponse {
  items: MemberResponse[];
  nextCursor: string | null;
}
