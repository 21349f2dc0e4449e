import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal, Principal, Public } from '../common/auth/access';
import { Idempotent } from '../common/idempotency/idempotent';
import { CursorPageQueryDto } from '../common/pagination/pagination';
import { AuthService } from './auth.service';
import { AuthTokenResponse, MeResponse } from './dto/auth.response';
import { LoginDto } from './dto/login.dto';
import { RefreshDto } from './dto/refresh.dto';
import { RegisterDto } from './dto/register.dto';
import { SessionPageResponse } from './dto/session.response';
import { ClientInfo } from './sessions.service';

function clientOf(request: FastifyRequest): ClientInfo & { ip: string } {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : null };
}

const API_KEY_FORBIDDEN = 'Called with an API key (API keys are not sessions)';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Create an account and sign in (a new session). */
  @Post('register')
  @Idempotent()
  @Public()
  @ApiConflictResponse({ description: 'The email is already registered or the username is taken' })
  register(@Body() dto: RegisterDto, @Req() request: FastifyRequest): Promise<AuthTokenResponse> {
    return this.auth.register(dto, clientOf(request));
  }

  /** Sign in with email or username and password (a new session). */
  @Post('login')
  @HttpCode(200)
  @Public()
  @ApiUnauthorizedResponse({ description: 'Unknown user, wrong password or deactivated user' })
  login(@Body() dto: LoginDto, @Req() request: FastifyRequest): Promise<AuthTokenResponse> {
    return this.auth.login(dto, clientOf(request));
  }

  /**
   * A new access token and refresh token for a refresh token, which is spent: presenting it
   * again later revokes the whole session.
   */
  @Post('refresh')
  @HttpCode(200)
  @Public()
  @ApiBadRequestResponse({ description: 'No refreshToken string in the body, or a query string' })
  @ApiUnauthorizedResponse({
    description: 'Unknown, malformed, expired, revoked or already used refresh token (one answer)',
  })
  refresh(@Body() dto: RefreshDto, @Req() request: FastifyRequest): Promise<AuthTokenResponse> {
    // Query strings end up in access logs and browser history: a token there is refused.
    if (request.url.includes('?')) {
      throw new BadRequestException(
        'POST /v1/auth/refresh takes the refresh token in the JSON body only, with no query string',
      );
    }
    return this.auth.refresh(dto.refreshToken, clientOf(request));
  }

  /** Ends the session of this access token: its tokens answer 401 from the next request on. */
  @Post('logout')
  @HttpCode(204)
  @Authenticated()
  @ApiNoContentResponse({ description: 'Signed out' })
  @ApiForbiddenResponse({ description: API_KEY_FORBIDDEN })
  async logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    await this.auth.logout(principal);
  }

  /** Ends every session of yours, this one included ("sign out everywhere"); API keys stay. */
  @Post('logout-all')
  @HttpCode(204)
  @Authenticated()
  @ApiNoContentResponse({ description: 'Every session ended' })
  @ApiForbiddenResponse({ description: API_KEY_FORBIDDEN })
  async logoutAll(@CurrentPrincipal() principal: Principal): Promise<void> {
    await this.auth.logoutAll(principal);
  }

  /** Your live sessions, most recently refreshed first; `current` marks this one. */
  @Get('sessions')
  @Authenticated()
  @ApiOkResponse({ type: SessionPageResponse })
  @ApiBadRequestResponse({ description: 'Invalid limit or cursor' })
  @ApiForbiddenResponse({ description: API_KEY_FORBIDDEN })
  sessions(
    @CurrentPrincipal() principal: Principal,
    @Query() query: CursorPageQueryDto,
  ): Promise<SessionPageResponse> {
    return this.auth.listSessions(principal, query);
  }

  /** Ends one of your sessions: its tokens answer 401 from the next request on. */
  @Delete('sessions/:id')
  @HttpCode(204)
  @Authenticated()
  @ApiNoContentResponse({ description: 'Session ended' })
  @ApiBadRequestResponse({ description: 'id is not a UUID' })
  @ApiForbiddenResponse({ description: API_KEY_FORBIDDEN })
  @ApiNotFoundResponse({ description: 'No live session of yours with this id' })
  async revokeSession(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<void> {
    await this.auth.revokeSession(principal, id.toLowerCase());
  }

  /** The caller and their memberships. */
  @Get('me')
  @Authenticated()
  me(@CurrentPrincipal() principal: Principal): Promise<MeResponse> {
    return this.auth.me(principal);
  }
}
