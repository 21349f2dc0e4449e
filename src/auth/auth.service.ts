import {
  ConflictException,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { BillingService } from '../billing/billing.service';
import { Principal } from '../common/auth/access';
import { AccessTokenResolver } from '../common/auth/access-ports';
import { Clock } from '../common/clock/clock';
import { EntitiesService } from '../entities/entities.service';
import { UsersService } from '../users/users.service';
import { UserResponse } from '../users/dto/user.response';
import { AuthTokenResponse, MeResponse } from './dto/auth.response';
import { LoginDto } from './dto/login.dto';
import { LoginBackoff } from './login-backoff';
import { RegisterDto } from './dto/register.dto';
import { isUuid } from '../common/uuid';
import { CursorPageQueryDto } from '../common/pagination/pagination';
import { SessionPageResponse } from './dto/session.response';
import { ClientInfo, INVALID_REFRESH_TOKEN, SessionsService } from './sessions.service';

const BAD_CREDENTIALS = 'Invalid login or password';

interface VerifiedClaims {
  sub: unknown;
  sid: unknown;
  exp: number;
}

/** Verified tokens remembered per process (a few MB at most). */
const VERIFIED_TOKENS_MAX = 10_000;

/**
 * Registration, login, refresh, logout and the JWT side of the access guard. Access tokens are
 * HS256 with `sub`, `sid` (the session), `iat` and `exp` taken from the injected Clock;
 * verification accepts HS256 only, and a token is accepted only while its session is live.
 */
@Injectable()
export class AuthService implements AccessTokenResolver {
  /**
   * Token → subject, session and expiry, for tokens whose signature was already checked:
   * verifying (base64, JSON, HMAC) was ~13% of the CPU of an authenticated request. Keyed by the
   * whole token, so only the exact bytes verified are trusted. It remembers the signature only,
   * never a verdict: expiry, the session (revoked or not) and the user (active or not) are
   * checked on every use, so it cannot outlive a revocation. Oldest out.
   */
  private readonly verified = new Map<string, VerifiedClaims>();

  constructor(
    private readonly jwt: JwtService,
    private readonly users: UsersService,
    private readonly entities: EntitiesService,
    private readonly clock: Clock,
    private readonly billing: BillingService,
    private readonly backoff: LoginBackoff,
    private readonly sessions: SessionsService,
  ) {}

  /**
   * A new user starts on the free plan (billing also creates it on first use for users made
   * elsewhere). "Already registered" (409) is needed, but it tells whether an email has an
   * account, so each one counts against the client's address like a failed login.
   */
  register(dto: RegisterDto, client: ClientInfo & { ip: string }): Promise<AuthTokenResponse> {
    const { ip } = client;
    return this.backoff.guard(
      { ip },
      async () => {
        const user = await this.users.create(dto);
        await this.billing.ensureSubscription(user.id);
        return this.issue(user, client);
      },
      (error) => error instanceof ConflictException,
    );
  }

  /**
   * Unknown login, wrong password and inactive user all answer the same 401 after the same
   * scrypt work, and count alike towards the account's and the client's back-off (429).
   */
  login(dto: LoginDto, client: ClientInfo & { ip: string }): Promise<AuthTokenResponse> {
    return this.backoff.guard(
      { login: dto.login, ip: client.ip },
      async () => {
        const user = await this.users.verifyCredentials(dto.login, dto.password);
        if (!user || !user.isActive) throw new UnauthorizedException(BAD_CREDENTIALS);
        await this.users.recordLogin(user.id);
        return this.issue((await this.users.findView(user.id)) ?? user, client);
      },
      (error) => error instanceof UnauthorizedException,
    );
  }

  async me(principal: Principal): Promise<MeResponse> {
    const [user, memberships] = await Promise.all([
      this.users.findView(principal.userId),
      this.entities.membershipsOf(principal.userId),
    ]);
    if (!user) throw new UnauthorizedException('Invalid or expired credentials');
    return { ...user, memberships };
  }

  /**
   * A new pair for a refresh token (spent by this call). The same 401 for every failure; an
   * owner deactivated meanwhile fails too (deactivation revoked the session anyway).
   */
  async refresh(refreshToken: string, client: ClientInfo): Promise<AuthTokenResponse> {
    const { userId, tokens } = await this.sessions.refresh(refreshToken, client);
    const user = await this.users.findView(userId);
    if (!user || !user.isActive) throw new UnauthorizedException(INVALID_REFRESH_TOKEN);
    return { user, ...tokens };
  }

  async logout(principal: Principal): Promise<void> {
    await this.sessions.revoke(principal.userId, this.sessionOf(principal));
  }

  async logoutAll(principal: Principal): Promise<void> {
    this.sessionOf(principal);
    await this.sessions.revokeAll(principal.userId);
  }

  listSessions(principal: Principal, query: CursorPageQueryDto): Promise<SessionPageResponse> {
    return this.sessions.list(principal.userId, this.sessionOf(principal), query);
  }

  async revokeSession(principal: Principal, sessionId: string): Promise<void> {
    this.sessionOf(principal);
    await this.sessions.revoke(principal.userId, sessionId);
  }

  /**
   * A principal from a bearer JWT: signature and expiry (remembered per token), then on every
   * request its session (`session:{sid}`, cached, dropped on revocation) and its user
   * (`user:{id}`). Tokens without `sid` (issued before sessions existed) are refused.
   */
  async fromAccessToken(token: string): Promise<Principal | null> {
    const claims = await this.verifiedClaims(token);
    if (!claims) return null;
    const { sub, sid } = claims;
    if (typeof sub !== 'string' || !isUuid(sub) || typeof sid !== 'string' || !isUuid(sid))
      return null;
    const userId = sub.toLowerCase();
    const sessionId = sid.toLowerCase();
    const [owner, user] = await Promise.all([
      this.sessions.ownerOf(sessionId),
      this.users.findView(userId),
    ]);
    if (owner !== userId || !user || !user.isActive) return null;
    return { userId: user.id, isAdmin: user.isAdmin, via: 'jwt', sessionId };
  }

  /** Sessions are managed with a session: an API key is not one (403). */
  private sessionOf(principal: Principal): string {
    if (principal.via !== 'jwt' || !principal.sessionId)
      throw new ForbiddenException('API keys are not sessions: sign in to manage sessions');
    return principal.sessionId;
  }

  private async issue(user: UserResponse, client: ClientInfo): Promise<AuthTokenResponse> {
    return { user, ...(await this.sessions.open(user.id, client)) };
  }

  /** The token's claims if its signature and expiry hold now; null otherwise. */
  private async verifiedClaims(token: string): Promise<VerifiedClaims | null> {
    const now = this.nowSeconds();
    const known = this.verified.get(token);
    if (known) {
      if (now < known.exp) return known;
      this.verified.delete(token);
      return null;
    }
    let payload: { sub?: unknown; sid?: unknown; exp?: unknown };
    try {
      payload = await this.jwt.verifyAsync(token, { algorithms: ['HS256'], clockTimestamp: now });
    } catch {
      return null;
    }
    // A token without an expiry would be valid forever: only tokens with `exp` are accepted.
    if (typeof payload.exp !== 'number') return null;
    if (this.verified.size >= VERIFIED_TOKENS_MAX) {
      this.verified.delete(this.verified.keys().next().value!);
    }
    const claims = { sub: payload.sub, sid: payload.sid, exp: payload.exp };
    this.verified.set(token, claims);
    return claims;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}
