import { IfMatch, SELF, VersionCondition, Versioned } from '../common/http/etag';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiConflictResponse, ApiTags } from '@nestjs/swagger';
import { Admin, Authenticated, CurrentPrincipal, Principal } from '../common/auth/access';
import { ListUsersQueryDto } from './dto/list-users-query.dto';
import { UpdateMeDto } from './dto/update-me.dto';
import { UpdateMeResponse } from './dto/update-me.response';
import { UserPageResponse, UserResponse } from './dto/user.response';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  /** Every user, newest first (platform admins). */
  @Get()
  @Admin()
  list(@Query() query: ListUsersQueryDto): Promise<UserPageResponse> {
    return this.users.list(query);
  }

  /**
   * Change your own names, username or password (the password needs currentPassword). A new
   * password ends every other session of yours; this one continues with the returned `tokens`.
   */
  @Patch('me')
  @Authenticated()
  @Versioned('user', SELF)
  @ApiConflictResponse({ description: 'The username is taken' })
  updateMe(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: UpdateMeDto,
    @IfMatch() expected: VersionCondition,
  ): Promise<UpdateMeResponse> {
    return this.users.updateMe(principal, dto, expected);
  }

  /** Yourself, or anyone for platform admins; other users answer 404. */
  @Get(':id')
  @Authenticated()
  @Versioned('user', 'id')
  findOne(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<UserResponse> {
    return this.users.getVisible(principal, id.toLowerCase());
  }

  /** Let a deactivated user sign in again (platform admins). */
  @Post(':id/activate')
  @HttpCode(200)
  @Admin()
  @Versioned('user', 'id')
  activate(
    @Param('id', ParseUUIDPipe) id: string,
    @IfMatch() expected: VersionCondition,
  ): Promise<UserResponse> {
    return this.users.setActive(id.toLowerCase(), true, expected);
  }

  /** Block a user: their existing tokens stop working on the next request (platform admins). */
  @Post(':id/deactivate')
  @HttpCode(200)
  @Admin()
  @Versioned('user', 'id')
  @ApiConflictResponse({ description: 'Yourself, or the last active platform admin' })
  deactivate(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @IfMatch() expected: VersionCondition,
  ): Promise<UserResponse> {
    return this.users.deactivate(principal, id.toLowerCase(), expected);
  }
}
