import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiTags } from '@nestjs/swagger';
import {
  Authenticated,
  CurrentPrincipal,
  Principal,
  Tenant,
  TenantContext,
  TenantRole,
} from '../common/auth/access';
import { IfMatch, VersionCondition, Versioned, VersionedOptions } from '../common/http/etag';
import { CursorPageQueryDto } from '../common/pagination/pagination';
import { InviteMemberDto } from './dto/invite-member.dto';
import { InvitationPageResponse, InvitationResponse } from './dto/invitation.response';
import { CreateEntityDto } from './dto/create-entity.dto';
import {
  EntityPageResponse,
  EntityResponse,
  MemberPageResponse,
  MemberResponse,
} from './dto/entity.response';
import { UpdateEntityDto } from './dto/update-entity.dto';
import { UpdateMemberDto } from './dto/update-member.dto';
import { EntitiesService } from './entities.service';
import { InvitationsService } from './invitations.service';
import { Idempotent } from '../common/idempotency/idempotent';

/** The answer shows the caller's role, which the entity's version does not cover. */
const ENTITY_TAG = ['entityId', { varies: ['role'] }] as [string, VersionedOptions];
/** The member's user fields change with the user, not with the membership's version. */
const MEMBER_TAG = [
  'entityId',
  'userId',
  { varies: ['email', 'username', 'firstName', 'lastName'] },
] as [string, string, VersionedOptions];

@ApiTags('entities')
@Controller('entities')
export class EntitiesController {
  constructor(
    private readonly entities: EntitiesService,
    private readonly invitations: InvitationsService,
  ) {}

  /** Create an organisation; you become its owner. */
  @Post()
  @Idempotent()
  @Authenticated()
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateEntityDto,
  ): Promise<EntityResponse> {
    return this.entities.create(principal.userId, dto.name);
  }

  /** The organisations you belong to, with your role, newest first. */
  @Get()
  @Authenticated()
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: CursorPageQueryDto,
  ): Promise<EntityPageResponse> {
    return this.entities.listMine(principal.userId, query);
  }

  /** One organisation you belong to, with your role. */
  @Get(':entityId')
  @TenantRole('member')
  @Versioned('entity', ...ENTITY_TAG)
  findOne(@Tenant() tenant: TenantContext): Promise<EntityResponse> {
    return this.entities.get(tenant);
  }

  /** Rename or change the slug (admin+). */
  @Patch(':entityId')
  @TenantRole('admin')
  @Versioned('entity', ...ENTITY_TAG)
  @ApiConflictResponse({ description: 'The slug is taken' })
  update(
    @Tenant() tenant: TenantContext,
    @Body() dto: UpdateEntityDto,
    @IfMatch() expected: VersionCondition,
  ): Promise<EntityResponse> {
    return this.entities.update(tenant, dto, expected);
  }

  /** Delete (owner). Soft: the organisation and its data answer 404 from now on. */
  @Delete(':entityId')
  @HttpCode(204)
  @TenantRole('owner')
  @Versioned('entity', ...ENTITY_TAG)
  async remove(
    @Tenant() tenant: TenantContext,
    @IfMatch() expected: VersionCondition,
  ): Promise<void> {
    await this.entities.remove(tenant, expected);
  }

  /** The members of the organisation with their roles, newest first. */
  @Get(':entityId/members')
  @TenantRole('member')
  members(
    @Tenant() tenant: TenantContext,
    @Query() query: CursorPageQueryDto,
  ): Promise<MemberPageResponse> {
    return this.entities.listMembers(tenant, query);
  }

  /** One member of the organisation, with their role (any member may read it, as the list). */
  @Get(':entityId/members/:userId')
  @TenantRole('member')
  @Versioned('member', ...MEMBER_TAG)
  member(
    @Param('userId', ParseUUIDPipe) userId: string,
    @Tenant() tenant: TenantContext,
  ): Promise<MemberResponse> {
    return this.entities.getMember(tenant.entityId, userId.toLowerCase());
  }

  /**
   * Invite an email address with a role (admin+; only an owner may invite an owner). The
   * answer is the same whether or not the address has an account; the invitee becomes a
   * member on accepting (POST /v1/invitations/{id}/accept). Inviting again renews it.
   */
  @Post(':entityId/members')
  @Idempotent()
  @HttpCode(202)
  @TenantRole('admin')
  @ApiAcceptedResponse({ type: InvitationResponse, description: 'The invitation is pending' })
  @ApiConflictResponse({ description: 'The email belongs to a member already' })
  invite(
    @Tenant() tenant: TenantContext,
    @Body() dto: InviteMemberDto,
  ): Promise<InvitationResponse> {
    return this.invitations.invite(tenant, dto);
  }

  /** Pending invitations, newest first (admin+). */
  @Get(':entityId/invitations')
  @TenantRole('admin')
  pendingInvitations(
    @Tenant() tenant: TenantContext,
    @Query() query: CursorPageQueryDto,
  ): Promise<InvitationPageResponse> {
    return this.invitations.listPending(tenant, query);
  }

  /** Revoke a pending invitation (admin+; an invitation to owner only by an owner). */
  @Delete(':entityId/invitations/:invitationId')
  @HttpCode(204)
  @TenantRole('admin')
  async revokeInvitation(
    @Param('invitationId', ParseUUIDPipe) invitationId: string,
    @Tenant() tenant: TenantContext,
  ): Promise<void> {
    await this.invitations.revoke(tenant, invitationId.toLowerCase());
  }

  /** Change a member's role (admin+; owners are changed, and made, only by owners; the last owner stays). */
  @Patch(':entityId/members/:userId')
  @TenantRole('admin')
  @Versioned('member', ...MEMBER_TAG)
  @ApiConflictResponse({ description: 'The last owner cannot be demoted' })
  changeRole(
    @Param('userId', ParseUUIDPipe) userId: string,
    @Tenant() tenant: TenantContext,
    @Body() dto: UpdateMemberDto,
    @IfMatch() expected: VersionCondition,
  ): Promise<MemberResponse> {
    return this.entities.changeRole(tenant, userId.toLowerCase(), dto.role, expected);
  }

  /** Remove a member (admin+, owners only by owners) or leave yourself; the last owner cannot go. */
  @Delete(':entityId/members/:userId')
  @HttpCode(204)
  @TenantRole('member')
  @Versioned('member', ...MEMBER_TAG)
  @ApiConflictResponse({ description: 'The last owner cannot be removed' })
  async removeMember(
    @Param('userId', ParseUUIDPipe) userId: string,
    @Tenant() tenant: TenantContext,
    @IfMatch() expected: VersionCondition,
  ): Promise<void> {
    await this.entities.removeMember(tenant, userId.toLowerCase(), expected);
  }
}
