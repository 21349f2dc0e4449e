import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { ApiConflictResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal, Principal, Public } from '../common/auth/access';
import { AuthService } from './auth.service';
import { AuthTokenResponse, MeResponse } from './dto/auth.response';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';
import { Idempotent } from '../common/idempotency/idempotent';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Create an account and sign in. */
  @Post('register')
  @Idempotent()
  @Public()
  @ApiConflictResponse({ description: 'The email is already registered or the username is taken' })
  register(@Body() dto: RegisterDto, @Req() request: FastifyRequest): Promise<AuthTokenResponse> {
    return this.auth.register(dto, request.ip);
  }

  /** Sign in with email or username and password. */
  @Post('login')
  @HttpCode(200)
  @Public()
  @ApiUnauthorizedResponse({ description: 'Unknown user, wrong password or deactivated user' })
  login(@Body() dto: LoginDto, @Req() request: FastifyRequest): Promise<AuthTokenResponse> {
    return this.auth.login(dto, request.ip);
  }

  /** The caller and their memberships. */
  @Get('me')
  @Authenticated()
  me(@CurrentPrincipal() principal: Principal): Promise<MeResponse> {
    return this.auth.me(principal);
  }
}
