import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { Admin, Authenticated, CurrentPrincipal, Principal } from '../common/auth/access';
import { CursorPageQueryDto } from '../common/pagination/pagination';
import { EntityResponse, MemberResponse } from './dto/entity.response';
import { ReceivedInvitationPageResponse } from './dto/invitation.response';
import { AdminAddMemberDto } from './dto/invite-member.dto';
import { EntitiesService } from './entities.service';
import { InvitationsService } from './invitations.service';

const NOT_OPEN = 'No pending invitation by that id to your email (answered, revoked or expired)';

/** Invitations addressed to the caller's email: list, accept, decline. */
@ApiTags('invitations')
@Controller('invitations')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  /** Pending invitations to your email, newest first. */
  @Get()
  @Authenticated()
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: CursorPageQueryDto,
  ): Promise<ReceivedInvitationPageResponse> {
    return this.invitations.listMine(principal, query);
  }

  /** Join the entity with the invited role; answers the entity with your role. */
  @Post(':invitationId/accept')
  @HttpCode(200)
  @Authenticated()
  @ApiNotFoundResponse({ description: NOT_OPEN })
  @ApiConflictResponse({ description: 'You are a member already' })
  accept(
    @CurrentPrincipal() principal: Principal,
    @Param('invitationId', ParseUUIDPipe) invitationId: string,
  ): Promise<EntityResponse> {
    return this.invitations.accept(principal, invitationId.toLowerCase());
  }

  /** Decline: the invitation is closed and nothing else changes. */
  @Post(':invitationId/decline')
  @HttpCode(204)
  @Authenticated()
  @ApiNotFoundResponse({ description: NOT_OPEN })
  async decline(
    @CurrentPrincipal() principal: Principal,
    @Param('invitationId', ParseUUIDPipe) invitationId: string,
  ): Promise<void> {
    await this.invitations.decline(principal, invitationId.toLowerCase());
  }
}

/** Platform admins add an account to an entity directly (no invitation). */
@ApiTags('admin')
@Controller('admin/entities')
export class EntitiesAdminController {
  constructor(private readonly entities: EntitiesService) {}

  /** Add a user to an entity with a role, without an invitation (platform admins). */
  @Post(':id/members')
  @Admin()
  @ApiNotFoundResponse({ description: 'No such active entity or user' })
  @ApiConflictResponse({ description: 'The user is already a member' })
  addMember(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) entityId: string,
    @Body() dto: AdminAddMemberDto,
  ): Promise<MemberResponse> {
    return this.entities.addByAdmin(entityId.toLowerCase(), dto, principal.userId);
  }
}
