import { ApiProperty } from '@nestjs/swagger';
import { Role, ROLES } from '../../common/auth/access';
import { INVITATION_STATUSES, InvitationStatus } from '../invitation.entity';

/**
 * An invitation as the entity's admins see it. It says nothing about the invitee's account
 * (whether one exists, its names): only what the inviter gave.
 */
export class InvitationResponse {
  id: string;
  entityId: string;
  /** The address invited, as given (lower-cased). */
  email: string;
  @ApiProperty({ enum: ROLES })
  role: Role;
  @ApiProperty({ enum: INVITATION_STATUSES })
  status: InvitationStatus;
  /** Who invited (null once that account is deleted). */
  invitedBy: string | null;
  /** ISO 8601 */
  createdAt: string;
  /** ISO 8601; a pending invitation past this can no longer be accepted (invite again). */
  expiresAt: string;
}

export class InvitationPageResponse {
  items: InvitationResponse[];
  nextCursor: string | null;
}

/** An invitation addressed to the caller's email. */
export class ReceivedInvitationResponse {
  id: string;
  entityId: string;
  entityName: string;
  @ApiProperty({ enum: ROLES })
  role: Role;
  /** ISO 8601 */
  createdAt: string;
  /** ISO 8601 */
  expiresAt: string;
}

export class ReceivedInvitationPageResponse {
  items: ReceivedInvitationResponse[];
  nextCursor: string | null;
}
