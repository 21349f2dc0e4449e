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
import { ApiConflictResponse, ApiTags } from '@nestjs/swagger';
import {
  Authenticated,
  CurrentPrincipal,
  Principal,
  Tenant,
  TenantContext,
  TenantRole,
} from '../common/auth/access';
import { CursorPageQueryDto } from '../common/pagination/pagination';
import { AddMemberDto } from './dto/add-member.dto';
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

@ApiTags('entities')
@Controller('entities')
export class EntitiesController {
  constructor(private readonly entities: EntitiesService) {}

  /** Create an organisation; you become its owner. */
  @Post()
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
  findOne(@Tenant() tenant: TenantContext): Promise<EntityResponse> {
    return this.entities.get(tenant);
  }

  /** Rename or change the slug (admin+). */
  @Patch(':entityId')
  @TenantRole('admin')
  @ApiConflictResponse({ description: 'The slug is taken' })
  update(@Tenant() tenant: TenantContext, @Body() dto: UpdateEntityDto): Promise<EntityResponse> {
    return this.entities.update(tenant, dto);
  }

  /** Delete (owner). Soft: the organisation and its data answer 404 from now on. */
  @Delete(':entityId')
  @HttpCode(204)
  @TenantRole('owner')
  async remove(@Tenant() tenant: TenantContext): Promise<void> {
    await this.entities.remove(tenant);
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

  /** Add a user by email or id (admin+; only an owner may grant owner). */
  @Post(':entityId/members')
  @TenantRole('admin')
  @ApiConflictResponse({ description: 'The user is already a member' })
  addMember(@Tenant() tenant: TenantContext, @Body() dto: AddMemberDto): Promise<MemberResponse> {
    return this.entities.addMember(tenant, dto);
  }

  /** Change a member's role (admin+; owners are changed, and made, only by owners; the last owner stays). */
  @Patch(':entityId/members/:userId')
  @TenantRole('admin')
  @ApiConflictResponse({ description: 'The last owner cannot be demoted' })
  changeRole(
    @Param('userId', ParseUUIDPipe) userId: string,
    @Tenant() tenant: TenantContext,
    @Body() dto: UpdateMemberDto,
  ): Promise<MemberResponse> {
    return this.entities.changeRole(tenant, userId.toLowerCase(), dto.role);
  }

  /** Remove a member (admin+, owners only by owners) or leave yourself; the last owner cannot go. */
  @Delete(':entityId/members/:userId')
  @HttpCode(204)
  @TenantRole('member')
  @ApiConflictResponse({ description: 'The last owner cannot be removed' })
  async removeMember(
    @Param('userId', ParseUUIDPipe) userId: string,
    @Tenant() tenant: TenantContext,
  ): Promise<void> {
    await this.entities.removeMember(tenant, userId.toLowerCase());
  }
}
